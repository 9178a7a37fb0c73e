# shellcheck shell=bash
# Installs what building and testing Gene needs, and nothing that is already there.
# Sourced by scripts/test and scripts/demo; not executable on its own.
#
# Target: a fresh Debian 12 machine with Rust installed through rustup. System
# packages come from apt (only the missing ones, with sudo when not root); Rust
# components from rustup.

# Debian packages the build needs. Add entries here as the project grows
# (e.g. lua5.4 for the benchmark peers).
GENE_APT_PACKAGES=(
  # the C compiler `gene build` links executables with (and strip, used by
  # tests/build.rs); linking for aarch64 Linux from x86_64 also needs
  # gcc-aarch64-linux-gnu, which `gene build --target` asks for when missing
  build-essential
  # the native tier: LLVM 19 (linked dynamically by inkwell) and what
  # llvm-config reports as its system libraries
  llvm-19-dev
  libpolly-19-dev
  libzstd-dev
  zlib1g-dev
  # memcheck of both tiers in the collector's tests
  valgrind
  # cross-building to aarch64 Linux and running the result
  gcc-aarch64-linux-gnu
  libc6-dev-arm64-cross
  qemu-user
  # LLVM's linker: ld.lld links the static musl executables, ld64.lld the
  # macOS ones (against a libSystem stub gene writes, no Apple SDK)
  lld-19
  # `script`, the pseudo-terminal tests/stdio.rs runs programs on, and
  # `kill` for its signal tests
  bsdutils
  procps
)

# Targets whose runtime `gene` embeds besides the host's: its build script
# builds one for every supported target whose Rust standard library is
# installed (musl's carries the C runtime objects the static link needs).
GENE_CROSS_TARGETS=(
  aarch64-unknown-linux-gnu
  x86_64-unknown-linux-musl
  aarch64-unknown-linux-musl
  x86_64-apple-darwin
  aarch64-apple-darwin
)

# Prints a section header.
section() {
  printf '\n==> %s\n' "$*"
}

# True when the Debian package $1 is installed.
apt_package_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# Runs its arguments as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "error: need root to run: $*" >&2
    echo "       run as root or install sudo" >&2
    return 1
  fi
}

# Installs the packages of GENE_APT_PACKAGES that are missing, with one apt-get update.
ensure_apt_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "not a Debian system (no dpkg-query); make sure these are installed: ${GENE_APT_PACKAGES[*]}"
    return 0
  fi
  local missing=() package
  for package in "${GENE_APT_PACKAGES[@]}"; do
    apt_package_installed "$package" || missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "apt packages present: ${GENE_APT_PACKAGES[*]}"
    return 0
  fi
  echo "installing missing apt packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
}

# Makes cargo reachable: rustup installs into ~/.cargo/bin, which a fresh
# non-login shell may not have on PATH yet.
ensure_cargo() {
  if ! command -v cargo >/dev/null 2>&1 && [ -f "$HOME/.cargo/env" ]; then
    # shellcheck source=/dev/null
    . "$HOME/.cargo/env"
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo not found; install Rust with rustup (https://rustup.rs)" >&2
    return 1
  fi
  cargo --version
}

# Adds the rustup components (rustfmt, clippy) whose cargo subcommand is missing.
ensure_rust_components() {
  local component subcommand
  for component in "$@"; do
    case "$component" in
      rustfmt) subcommand=fmt ;;
      *) subcommand="$component" ;;
    esac
    if cargo "$subcommand" --version >/dev/null 2>&1; then
      echo "rust component present: $component"
    elif command -v rustup >/dev/null 2>&1; then
      echo "adding rust component: $component"
      rustup component add "$component"
    else
      echo "error: cargo $subcommand is missing and rustup is not available to add $component" >&2
      return 1
    fi
  done
}

# Adds the Rust standard library of every GENE_CROSS_TARGETS entry and
# exports GENE_RUNTIME_TARGETS naming them, so that `gene` embeds their
# runtimes and the tests require every one (tests/cross.rs).
ensure_cross_targets() {
  local target installed
  installed="$(rustup target list --installed 2>/dev/null || true)"
  for target in "${GENE_CROSS_TARGETS[@]}"; do
    if grep -qx "$target" <<<"$installed"; then
      echo "rust target present: $target"
    else
      echo "adding rust target: $target"
      rustup target add "$target"
    fi
  done
  GENE_RUNTIME_TARGETS="$(IFS=,; echo "${GENE_CROSS_TARGETS[*]}")"
  export GENE_RUNTIME_TARGETS
}

# Everything a build needs; extra arguments are rust components to ensure as well.
ensure_deps() {
  section "Dependencies"
  ensure_apt_packages
  ensure_cargo
  ensure_cross_targets
  if [ $# -gt 0 ]; then
    ensure_rust_components "$@"
  fi
}
