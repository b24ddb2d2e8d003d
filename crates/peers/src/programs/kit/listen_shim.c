/*
 * listen_shim.c: an LD_PRELOAD library that fixes how a server listens (mtls-harness).
 *
 * gnutls-serv (GnuTLS 3.7.9) has no option for its listening address or its accept queue:
 *
 * - It binds its port on the wildcard addresses 0.0.0.0 and ::, so the port would be open on
 *   every address of the machine. This wrapper of bind(2) turns an AF_INET bind to INADDR_ANY
 *   into one to 127.0.0.1 and an AF_INET6 bind to in6addr_any into one to ::1, on the same
 *   port, so the server listens on loopback only ("services the harness starts listen on
 *   loopback unless told otherwise"). Every other bind passes through unchanged. The caller's
 *   address is never written: a copy is bound.
 * - It listens with a backlog of 10 (listen(s, 10) in src/serv.c). Under a load of 100
 *   concurrent connections the kernel then drops SYNs (TcpExtListenOverflows), the clients
 *   retransmit them after a second, and the run measures the queue rather than the server.
 *   This wrapper of listen(2) raises a smaller backlog to SHIM_BACKLOG (the kernel caps it at
 *   net.core.somaxconn), as nginx (511) and the other servers the harness runs have.
 *
 * The harness builds it on first use and caches it by the hash of this text
 * (harness/src/peers/programs/listen_shim.rs):
 *   cc -shared -fPIC -O2 -o OUT listen_shim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* The accept queue a listening socket gets at least. */
#define SHIM_BACKLOG 4096

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);
typedef int (*listen_fn)(int, int);

static bind_fn real_bind(void)
{
    static bind_fn real;
    bind_fn found = __atomic_load_n(&real, __ATOMIC_ACQUIRE);
    if (found == NULL) {
        found = (bind_fn)dlsym(RTLD_NEXT, "bind");
        __atomic_store_n(&real, found, __ATOMIC_RELEASE);
    }
    return found;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    bind_fn next = real_bind();
    if (next == NULL) {
        errno = ENOSYS;
        return -1;
    }
    if (addr != NULL && len >= sizeof(sa_family_t)) {
        if (addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
            struct sockaddr_in in4;
            memcpy(&in4, addr, sizeof in4);
            if (in4.sin_addr.s_addr == htonl(INADDR_ANY)) {
                in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                return next(fd, (const struct sockaddr *)&in4, sizeof in4);
            }
        } else if (addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
            struct sockaddr_in6 in6;
            memcpy(&in6, addr, sizeof in6);
            if (IN6_IS_ADDR_UNSPECIFIED(&in6.sin6_addr)) {
                in6.sin6_addr = in6addr_loopback;
                return next(fd, (const struct sockaddr *)&in6, sizeof in6);
            }
        }
    }
    return next(fd, addr, len);
}

static listen_fn real_listen(void)
{
    static listen_fn real;
    listen_fn found = __atomic_load_n(&real, __ATOMIC_ACQUIRE);
    if (found == NULL) {
        found = (listen_fn)dlsym(RTLD_NEXT, "listen");
        __atomic_store_n(&real, found, __ATOMIC_RELEASE);
    }
    return found;
}

int listen(int fd, int backlog)
{
    listen_fn next = real_listen();
    if (next == NULL) {
        errno = ENOSYS;
        return -1;
    }
    return next(fd, backlog < SHIM_BACKLOG ? SHIM_BACKLOG : backlog);
}
