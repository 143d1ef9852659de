#!/bin/sh
# The baseline `make bench` compares the roles against: the same two source builds
# (Cyrus SASL, then sendmail with SASLv2 + STARTTLS), done by hand the way the seeds do it,
# with the same configure options and site.config.m4 the roles use by default.
# Runs inside a fresh container; expects the two tarballs and the patch in /src.
set -eu
export DEBIAN_FRONTEND=noninteractive
jobs=$(nproc)
apt-get update -qq
apt-get install -y -qq --no-install-recommends gcc make libc6-dev libssl-dev libdb-dev \
  libcrypt-dev libpam0g-dev m4 patch xz-utils file >/dev/null

mkdir -p /usr/local/src/plain && cd /usr/local/src/plain
mkdir sasl && tar -xf /src/cyrus-sasl2_*.orig.tar.xz -C sasl --strip-components=1
cd sasl
./configure --prefix=/usr/local --enable-plain --enable-login --enable-cram --enable-digest \
  --disable-gssapi --disable-otp --disable-srp --disable-ntlm --disable-scram \
  --disable-anon --disable-ldapdb --disable-sql --disable-static \
  --with-dblib=berkeley --with-openssl --with-saslauthd=/run/saslauthd --with-pam \
  --with-dbpath=/etc/sasldb2 --with-configdir=/etc/sasl2:/usr/local/lib/sasl2 >/dev/null
make -j"$jobs" >/dev/null 2>&1
make install >/dev/null
make -C saslauthd testsaslauthd >/dev/null && install -m 0755 saslauthd/testsaslauthd /usr/local/sbin/
ldconfig
cd ..
mkdir sendmail && tar -xzf /src/sendmail_*.orig.tar.gz -C sendmail --strip-components=1
cd sendmail
patch -p1 -s < /src/0024-CVE-2023-51765.patch
cat > devtools/Site/site.config.m4 <<'M4'
APPENDDEF(`confENVDEF', `-DSASL=2 -DSTARTTLS -DNEWDB -DHASFLOCK=1 -DNETINET6')
APPENDDEF(`confLIBS', `-ldb')
APPENDDEF(`conf_sendmail_LIBS', `-lsasl2 -lssl -lcrypto')
APPENDDEF(`confINCDIRS', `-I/usr/local/include')
dnl double quotes: the commas of -Wl,-rpath must survive APPENDDEF's re-expansion
APPENDDEF(`confLIBDIRS', ``-L/usr/local/lib -Wl,-rpath,/usr/local/lib'')
M4
sh Build -c >/dev/null 2>&1
for binary in obj.*/sendmail/sendmail; do
  "$binary" -d0.1 -bv root | grep -A3 'Compiled with' || true
done
