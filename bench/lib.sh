# Shared by the bench scripts (sourced, not run): one way to install what a bench needs without starting any
# system service.

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs Debian packages without starting their services (a policy-rc.d that says no is put in place if there
# is none, and removed afterwards): a bench starts its own servers from its own configs, never the system's.
install_packages() {
  local added_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod 755 /usr/sbin/policy-rc.d
    added_policy=yes
  fi
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
  [ -z "$added_policy" ] || as_root rm -f /usr/sbin/policy-rc.d
}
