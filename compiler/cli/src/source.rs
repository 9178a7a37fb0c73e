//! Loading program text and reporting located errors against it.

use gene_frontend::{CompileError, Proto};
use gene_reader::{render_diagnostic, Form, ParseError};
use std::process::ExitCode;

/// A program's text and the name it is reported under.
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    /// Reads `path`; `-` reads stdin.
    pub fn load(path: &str) -> Result<Source, ExitCode> {
        if path != "-" && std::path::Path::new(path).is_dir() {
            eprintln!(
                "error: {path} is a directory, not a Gene program; name the program's .gene file"
            );
            return Err(ExitCode::from(1));
        }
        let text = if path == "-" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map(|_| text)
        } else {
            std::fs::read(path).map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        };
        match text {
            Ok(text) => Ok(Source {
                name: if path == "-" {
                    "<stdin>".into()
                } else {
                    path.into()
                },
                text,
            }),
            Err(e) => {
                let hint = match e.kind() {
                    std::io::ErrorKind::NotFound => "; check the path",
                    std::io::ErrorKind::PermissionDenied => "; check the file's permissions",
                    _ => "",
                };
                eprintln!("error: cannot read {path}: {e}{hint}");
                Err(ExitCode::from(1))
            }
        }
    }

    pub fn inline(name: &str, text: String) -> Source {
        Source {
            name: name.into(),
            text,
        }
    }

    pub fn read(&self) -> Result<Vec<Form>, ExitCode> {
        gene_reader::read_all(&self.text).map_err(|e| self.report_parse(&e))
    }

    /// Reads and compiles the whole program.
    pub fn compile(&self) -> Result<&'static Proto, ExitCode> {
        let forms = self.read()?;
        gene_frontend::compile_program(&forms, &self.name).map_err(|e| self.report_compile(&e))
    }

    pub fn report_parse(&self, e: &ParseError) -> ExitCode {
        eprintln!(
            "{}",
            render_diagnostic(
                &self.name,
                &self.text,
                e.span,
                &format!("ParseError: {}", e.message)
            )
        );
        ExitCode::from(1)
    }

    pub fn report_compile(&self, e: &CompileError) -> ExitCode {
        eprintln!(
            "{}",
            render_diagnostic(&self.name, &self.text, e.span, &e.message)
        );
        ExitCode::from(1)
    }
}

/// Prints an uncaught Gene exception with its Gene-level backtrace.
pub fn report_uncaught(vm: &gene_vm::Vm, thrown: gene_core::Value) -> ExitCode {
    vm.report_uncaught(thrown);
    ExitCode::from(1)
}
