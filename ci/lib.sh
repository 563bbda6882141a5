# Shared helpers for ci/ scripts (sourced).
af_step() { printf '\n==> %s\n' "$*" >&2; }

# Packages every ci/ script may need; installed only when missing and root.
AF_DEB_PACKAGES="cmake clang gcc make llvm-14 libclang-rt-14-dev afl++ gnuplot-nox zip"
af_install_deps() {
  local missing=()
  command -v cmake >/dev/null || missing+=(cmake)
  command -v clang >/dev/null || missing+=(clang)
  command -v gcc >/dev/null || missing+=(gcc)
  command -v llvm-profdata-14 >/dev/null || command -v llvm-profdata >/dev/null || missing+=(llvm-14)
  [ -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ] ||
    ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 ||
    missing+=(libclang-rt-14-dev)
  command -v afl-clang-fast >/dev/null || missing+=(afl++)
  command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
  command -v zip >/dev/null || missing+=(zip)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "ci: missing packages: ${missing[*]} (run as root, or apt-get install them)" >&2
    return 1
  fi
  af_step "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
