/* Stand-in for prngd 0.9.29 in the mailrelay.sendmail "prngd" Molecule scenario (see README.md):
 * prngd's build interface and command line, the EGD protocol served from /dev/urandom. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef CONFIGFILE
#define CONFIGFILE "/etc/prngd.conf"
#endif
#ifndef RANDSAVENAME
#define RANDSAVENAME "/etc/prngd-seed"
#endif

static const char *socket_path;

static void on_term(int sig) { (void)sig; if (socket_path) unlink(socket_path); _exit(0); }

static int read_exactly(int fd, unsigned char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0) { if (r < 0 && errno == EINTR) continue; return -1; }
        got += (size_t)r;
    }
    return 0;
}

static int write_all(int fd, const unsigned char *buf, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w <= 0) { if (w < 0 && errno == EINTR) continue; return -1; }
        buf += w; n -= (size_t)w;
    }
    return 0;
}

static void serve(int conn, int urandom) {
    unsigned char cmd, n, buf[257];
    while (read_exactly(conn, &cmd, 1) == 0) {
        if (cmd == 0x00) {
            unsigned char level[4] = {0, 0, 0x10, 0};          /* 4096 bits */
            if (write_all(conn, level, 4)) return;
        } else if (cmd == 0x01 || cmd == 0x02) {
            if (read_exactly(conn, &n, 1) || read_exactly(urandom, buf + 1, n)) return;
            buf[0] = n;
            if (cmd == 0x01 ? write_all(conn, buf, (size_t)n + 1) : write_all(conn, buf + 1, n)) return;
        } else if (cmd == 0x03) {
            unsigned char hdr[3];
            if (read_exactly(conn, hdr, 3) || read_exactly(conn, buf, hdr[2])) return;
        } else if (cmd == 0x04) {
            int len = snprintf((char *)buf + 1, 200, "%ld", (long)getpid());
            buf[0] = (unsigned char)len;
            if (write_all(conn, buf, (size_t)len + 1)) return;
        } else {
            return;
        }
    }
}

int main(int argc, char **argv) {
    const char *config = CONFIGFILE, *seed = RANDSAVENAME;
    mode_t mode = 0777;
    int i;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v")) {
            printf("prngd 0.9.29 (stand-in for the mailrelay.sendmail tests)\n");
            return 0;
        } else if (!strcmp(argv[i], "--fg") || !strcmp(argv[i], "-f")) {
            continue;
        } else if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--cf")) && i + 1 < argc) {
            config = argv[++i];
        } else if ((!strcmp(argv[i], "-s") || !strcmp(argv[i], "--seedfile")) && i + 1 < argc) {
            seed = argv[++i];
        } else if ((!strcmp(argv[i], "-m") || !strcmp(argv[i], "--mode")) && i + 1 < argc) {
            mode = (mode_t)strtol(argv[++i], NULL, 8);
        } else if (argv[i][0] != '-') {
            socket_path = argv[i];
        } else {
            fprintf(stderr, "prngd: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (!socket_path || strlen(socket_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        fprintf(stderr, "usage: prngd [--fg] [-c config] [-s seedfile] [-m mode] socket\n");
        return 2;
    }
    FILE *cf = fopen(config, "r");
    char line[512];
    int commands = 0;
    if (!cf) { fprintf(stderr, "prngd: cannot read %s: %s\n", config, strerror(errno)); return 1; }
    while (fgets(line, sizeof line, cf)) if (line[0] == '"') commands++;
    fclose(cf);
    if (commands == 0) { fprintf(stderr, "prngd: no gather commands in %s\n", config); return 1; }
    int urandom = open("/dev/urandom", O_RDONLY);
    if (urandom < 0) { perror("prngd: /dev/urandom"); return 1; }
    int seedfd = open(seed, O_WRONLY | O_CREAT, 0600);
    if (seedfd >= 0) close(seedfd);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, socket_path);
    unlink(socket_path);
    if (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof addr) || chmod(socket_path, mode) || listen(s, 8)) {
        fprintf(stderr, "prngd: %s: %s\n", socket_path, strerror(errno));
        return 1;
    }
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGPIPE, SIG_IGN);
    fprintf(stderr, "prngd: %d gather commands from %s; serving %s\n", commands, config, socket_path);
    for (;;) {
        int conn = accept(s, NULL, NULL);
        if (conn < 0) { if (errno == EINTR) continue; perror("prngd: accept"); return 1; }
        serve(conn, urandom);
        close(conn);
    }
}
