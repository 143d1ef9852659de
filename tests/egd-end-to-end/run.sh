#!/usr/bin/env bash
# The egd: path end to end, by hand (it is not part of `make test`: building OpenSSL takes
# about 10 minutes on a 2-core machine; the whole run took 9 min 19 s). Needs the Docker
# engine, the image mailrelay/debian-systemd:12 (make images), the offline sendmail source (make sources) and the
# venv (make venv). Containers are named ${E2E_PREFIX:-prngd}-e2e and removed at the end unless
# E2E_KEEP=1.
#
# In a Debian 12 systemd container it builds
#   - OpenSSL (Debian's 3.0 source, `apt-get source`) with enable-egd, into /opt/openssl-egd;
#   - sendmail 8.17.1.9 twice from the same source: /src/sendmail-stock (Linux's HASURANDOMDEV)
#     and /src/sendmail-egd (HASURANDOMDEV removed from include/sm/conf.h, -DEGD, linked to
#     /opt/openssl-egd), with the cf tree in /src/cf;
# then runs playbook.yml: the prngd role (auto) must decide "needed" for the second build and
# serve the socket, and that sendmail must offer STARTTLS with RandFile=egd:/var/run/egd-pool and
# stop offering it when the socket goes away.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
name="${E2E_PREFIX:-prngd}-e2e"
image="${MOLECULE_IMAGE_DEBIAN12:-mailrelay/debian-systemd:12}"
sources="${MAILRELAY_SOURCES_DIR:-$root/.cache/sources}"
venv="${VENV:-$root/.venv}"
tarball="$sources/sendmail_8.17.1.9.orig.tar.gz"
[ -s "$tarball" ] || { echo "no $tarball: run make sources" >&2; exit 1; }

cleanup() { [ "${E2E_KEEP:-0}" = 1 ] || docker rm -f "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT
docker rm -f "$name" >/dev/null 2>&1 || true
docker run -d --name "$name" --hostname e2e.mailrelay.test --cap-add SYS_ADMIN --cgroupns host \
  -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock "$image" /lib/systemd/systemd >/dev/null
# let systemd finish booting (apt's signature check fails while /tmp is being set up)
timeout 120 docker exec "$name" systemctl is-system-running --wait >/dev/null 2>&1 || true
docker cp "$tarball" "$name:/srv/sendmail.tar.gz"   # not /tmp: systemd mounts a tmpfs over it

docker exec -i "$name" bash -euo pipefail <<'BUILD'
export DEBIAN_FRONTEND=noninteractive
# deb-src from the container's own apt source (no host name written here)
sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > /etc/apt/sources.list.d/debian-src.sources
apt-get update -qq
apt-get install -y -qq --no-install-recommends gcc make libc6-dev m4 patch perl libssl-dev libdb-dev openssl dpkg-dev >/dev/null
mkdir -p /src && cd /src
# the orig tarball is what matters; the Debian patch set may not be on every mirror
apt-get source --download-only openssl >/dev/null 2>&1 || true
ls openssl_*.orig.tar.gz >/dev/null
tar xf openssl_*.orig.tar.gz && cd openssl-*/
echo "building OpenSSL with enable-egd (slow)"
./Configure linux-x86_64 enable-egd no-tests shared --prefix=/opt/openssl-egd --libdir=lib > /src/openssl.log 2>&1
make -j"$(nproc)" build_libs >> /src/openssl.log 2>&1 && make install_dev >> /src/openssl.log 2>&1
cd /src
for v in stock egd; do
  rm -rf sm-$v && mkdir sm-$v && tar xzf /srv/sendmail.tar.gz -C sm-$v --strip-components=1
done
cat > sm-stock/devtools/Site/site.config.m4 <<'M4'
APPENDDEF(`confENVDEF', `-DSTARTTLS -DNEWDB -DHASFLOCK=1')
APPENDDEF(`confLIBS', `-ldb')
APPENDDEF(`conf_sendmail_LIBS', `-lssl -lcrypto')
M4
# a platform without a kernel random device, as far as sendmail knows: drop Linux's define
sed -i 's|^#    define HASURANDOMDEV 1\t/\* 2.0 (at least) has linux/drivers/char/random.c \*/|/* no HASURANDOMDEV (egd end-to-end test) */|' \
  sm-egd/include/sm/conf.h
grep -q 'no HASURANDOMDEV (egd end-to-end test)' sm-egd/include/sm/conf.h
cat > sm-egd/devtools/Site/site.config.m4 <<'M4'
APPENDDEF(`confENVDEF', `-DSTARTTLS -DEGD -DNEWDB -DHASFLOCK=1')
APPENDDEF(`confLIBS', `-ldb')
APPENDDEF(`conf_sendmail_LIBS', `-lssl -lcrypto')
APPENDDEF(`confINCDIRS', `-I/opt/openssl-egd/include')
APPENDDEF(`confLIBDIRS', ``-L/opt/openssl-egd/lib -Wl,-rpath,/opt/openssl-egd/lib'')
M4
for v in stock egd; do
  echo "building sendmail ($v)"
  (cd sm-$v && sh Build -c -j"$(nproc)" > /src/sendmail-$v.log 2>&1)
  cp sm-$v/obj.*/sendmail/sendmail /src/sendmail-$v
done
ln -sfn /src/sm-egd/cf /src/cf
BUILD

export PATH="$venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$root/.cache/collections"
ansible-playbook -i "$name," -c community.docker.docker tests/egd-end-to-end/playbook.yml
