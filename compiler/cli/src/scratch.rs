//! Scratch directories of `gene build` that an interrupted build does not
//! leave behind: each is registered while it exists, and a SIGINT (Ctrl-C)
//! or SIGTERM handler (the `ctrlc` crate) removes the registered
//! directories before exiting with status 130.

use std::path::PathBuf;
use std::sync::{Mutex, Once};

static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static HANDLER: Once = Once::new();

/// A temporary directory, removed when dropped or when the build is
/// interrupted.
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Result<Scratch, String> {
        HANDLER.call_once(|| {
            // Without a handler an interrupt still stops the build; only
            // the clean-up is lost, so a failure to install it is ignored.
            let _ = ctrlc::set_handler(|| {
                remove_live();
                std::process::exit(130);
            });
        });
        let dir = tempfile::Builder::new()
            .prefix("gene-build")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        if let Ok(mut live) = LIVE.lock() {
            live.push(dir.path().to_path_buf());
        }
        Ok(Scratch { dir })
    }

    pub fn path(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Ok(mut live) = LIVE.lock() {
            live.retain(|p| p != self.dir.path());
        }
    }
}

fn remove_live() {
    if let Ok(live) = LIVE.lock() {
        for dir in live.iter() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
