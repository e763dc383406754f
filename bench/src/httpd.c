/* A small static HTTP server: single-threaded poll() over 127.0.0.1, HTTP/1.1 keep-alive, the same
 * 13-byte body for every request. Binds an ephemeral port and writes it to PORTFILE once listening.
 * Stops by itself: after MAXREQ requests, after MAXSEC seconds, or 1 s after the last client left
 * (once at least one request was served). Prints the number of requests served.
 * usage: httpd PORTFILE MAXREQ MAXSEC */
#include "common.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXC 256
static const char resp[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nhello, world\n";

struct conn { int fd; size_t len; char buf[4096]; };
static struct conn conns[MAXC];

int main(int argc, char **argv)
{
    if (argc != 4) { fprintf(stderr, "usage: httpd PORTFILE MAXREQ MAXSEC\n"); return 2; }
    long maxreq = atol(argv[2]);
    uint64_t deadline = MONO_NS() + (uint64_t)atol(argv[3]) * 1000000000ull;
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0) { perror("socket"); return 1; }
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0) { perror("bind"); return 1; }
    if (listen(ls, 128) < 0) { perror("listen"); return 1; }
    socklen_t sl = sizeof sa;
    if (getsockname(ls, (struct sockaddr *)&sa, &sl) < 0) { perror("getsockname"); return 1; }
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
    FILE *pf = fopen(tmp, "w");
    if (!pf) { perror(tmp); return 1; }
    fprintf(pf, "%d\n", ntohs(sa.sin_port));
    fclose(pf);
    if (rename(tmp, argv[1]) < 0) { perror("rename"); return 1; }

    for (int i = 0; i < MAXC; i++) conns[i].fd = -1;
    long served = 0;
    int nconn = 0;
    uint64_t idle_since = 0;
    struct pollfd pfd[MAXC + 1];
    int idx[MAXC + 1];
    for (;;) {
        uint64_t now = MONO_NS();
        if (now >= deadline || served >= maxreq) break;
        if (served > 0 && nconn == 0) {
            if (!idle_since) idle_since = now;
            else if (now - idle_since > 1000000000ull) break;
        } else {
            idle_since = 0;
        }
        int n = 0;
        pfd[n].fd = ls; pfd[n].events = POLLIN; idx[n++] = -1;
        for (int i = 0; i < MAXC; i++)
            if (conns[i].fd >= 0) { pfd[n].fd = conns[i].fd; pfd[n].events = POLLIN; idx[n++] = i; }
        int r = poll(pfd, n, 200);
        if (r < 0) { if (errno == EINTR) continue; perror("poll"); return 1; }
        for (int k = 0; k < n; k++) {
            if (!pfd[k].revents) continue;
            if (idx[k] < 0) {
                int c = accept(ls, NULL, NULL);
                if (c < 0) { perror("accept"); continue; }
                setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                int slot = -1;
                for (int i = 0; i < MAXC; i++) if (conns[i].fd < 0) { slot = i; break; }
                if (slot < 0) { close(c); continue; }
                conns[slot].fd = c; conns[slot].len = 0; nconn++;
                continue;
            }
            struct conn *cn = &conns[idx[k]];
            ssize_t got = read(cn->fd, cn->buf + cn->len, sizeof cn->buf - 1 - cn->len);
            if (got <= 0) { close(cn->fd); cn->fd = -1; nconn--; continue; }
            cn->len += got;
            cn->buf[cn->len] = 0;
            char *p = cn->buf, *end;
            while ((end = strstr(p, "\r\n\r\n"))) {
                size_t off = 0;
                while (off < sizeof resp - 1) {
                    ssize_t w = write(cn->fd, resp + off, sizeof resp - 1 - off);
                    if (w <= 0) break;
                    off += w;
                }
                served++;
                p = end + 4;
            }
            cn->len -= p - cn->buf;
            memmove(cn->buf, p, cn->len);
            if (cn->len >= sizeof cn->buf - 1) { close(cn->fd); cn->fd = -1; nconn--; }
        }
    }
    printf("%ld\n", served);
    return 0;
}
