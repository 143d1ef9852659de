#!/bin/sh
# The baseline `make bench` compares the roles against: the same work the build scenario's
# converge does on one host, done by hand the way the seeds do it - Cyrus SASL and sendmail
# built with the same configure options and site.config.m4, installed, the smmsp user,
# queue directories, Sendmail.conf and two sasldb users. No checks, no idempotence.
# Runs inside a fresh container; expects the two tarballs and the patch in /src.
set -eu
export DEBIAN_FRONTEND=noninteractive
t0=$(date +%s)
phase() { echo "phase $1: $(( $(date +%s) - t0 )) s" >&2; }
jobs=$(nproc)
apt-get update -qq
apt-get install -y -qq --no-install-recommends gcc make libc6-dev file xz-utils libcrypt-dev \
  libssl-dev libdb-dev libpam0g-dev m4 patch >/dev/null
phase packages

mkdir -p /usr/local/src/plain && cd /usr/local/src/plain
mkdir sasl && tar -xf /src/cyrus-sasl2_*.orig.tar.xz -C sasl --strip-components=1
cd sasl
CPPFLAGS="-DHAVE_TIME_H=1 -DTIME_WITH_SYS_TIME=1" ./configure --prefix=/usr/local \
  --with-plugindir=/usr/local/lib/sasl2 --with-configdir=/etc/sasl2 --with-dbpath=/etc/sasldb2 \
  --with-dblib=berkeley --disable-static --enable-shared --disable-sql --disable-ldapdb \
  --disable-macos-framework --enable-plain --enable-login --enable-cram --enable-digest \
  --disable-scram --disable-otp --disable-ntlm --disable-anon --with-openssl --disable-gssapi \
  --with-saslauthd=/run/saslauthd --with-pam >/dev/null
make -j"$jobs" >/dev/null 2>&1
make install >/dev/null
make -C saslauthd testsaslauthd >/dev/null && install -m 0755 saslauthd/testsaslauthd /usr/local/sbin/
ldconfig
phase cyrus-sasl
mkdir -p /etc/sasl2
printf 'pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: /etc/sasldb2\nmech_list: PLAIN LOGIN CRAM-MD5 DIGEST-MD5\n' > /etc/sasl2/Sendmail.conf
for u in alice bob; do
  echo "$u-bench-secret" | /usr/local/sbin/saslpasswd2 -p -c -a Sendmail -u "$(hostname -f)" -f /etc/sasldb2 "$u"
done
chmod 0600 /etc/sasldb2
cd ..

groupadd -r smmsp && useradd -r -g smmsp -d /var/spool/clientmqueue -s /usr/sbin/nologin smmsp
mkdir -p /var/spool/mqueue && chmod 0700 /var/spool/mqueue
mkdir sendmail && tar -xzf /src/sendmail_*.orig.tar.gz -C sendmail --strip-components=1
cd sendmail
patch -p1 -s < /src/0024-CVE-2023-51765.patch
cat > devtools/Site/site.config.m4 <<'M4'
APPENDDEF(`confENVDEF', `-DSASL=2 -DSTARTTLS')
APPENDDEF(`confENVDEF', `-DNEWDB')
APPENDDEF(`confENVDEF', `-DHASFLOCK=1')
APPENDDEF(`confLIBS', `-ldb')
APPENDDEF(`confENVDEF', `-DNETINET6')
APPENDDEF(`confENVDEF', `-DMILTER')
APPENDDEF(`conf_sendmail_LIBS', `-lsasl2 -lssl -lcrypto')
APPENDDEF(`confINCDIRS', `-I/usr/local/include')
APPENDDEF(`confLIBDIRS', ``-L/usr/local/lib -Wl,-rpath,/usr/local/lib'')
M4
sh Build -c -j"$jobs" >/dev/null 2>&1
for binary in obj.*/sendmail/sendmail; do
  "$binary" -d0.1 -bv root 2>/dev/null | grep -q SASLv2
done
sh Build install >/dev/null 2>&1
mkdir -p /usr/local/share/sendmail && cp -a cf /usr/local/share/sendmail/
phase sendmail
