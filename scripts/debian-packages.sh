# Sourced by the scripts that need programs from Debian's packages (tests, the S3 test server,
# benchmarks): `need_packages PROGRAM:PACKAGE …` installs the packages of the programs that are
# missing (a PROGRAM with a / is a path that must exist). As root it installs them with apt-get;
# otherwise it stops with one line saying what to run.
need_packages() {
  local missing=() entry program
  for entry in "$@"; do
    program=${entry%%:*}
    if [[ $program == */* ]]; then [ -x "$program" ] && continue; else command -v "$program" >/dev/null 2>&1 && continue; fi
    missing+=("${entry##*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: run  sudo apt-get install -y --no-install-recommends ${missing[*]}  and try again" >&2
    exit 1
  fi
  echo "installing Debian packages: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
