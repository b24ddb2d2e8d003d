/*
 * bind_loopback.c: an LD_PRELOAD library that keeps a server on loopback (mtls-harness).
 *
 * gnutls-serv (GnuTLS 3.7.9) has no option for its listening address: it binds its port on
 * the wildcard addresses 0.0.0.0 and ::, so the port would be open on every address of the
 * machine. Preloaded into it, this wrapper of bind(2) turns an AF_INET bind to INADDR_ANY into
 * one to 127.0.0.1 and an AF_INET6 bind to in6addr_any into one to ::1, on the same port, so
 * the server listens on loopback only ("services the harness starts listen on loopback unless
 * told otherwise"). Every other bind passes through to the real bind unchanged. The caller's
 * address is never written: a copy is bound.
 *
 * The harness builds it on first use and caches it by the hash of this text
 * (harness/src/peers/programs/loopback_shim.rs):
 *   cc -shared -fPIC -O2 -o OUT bind_loopback.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

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
