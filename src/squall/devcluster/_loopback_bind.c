/* squall dev cluster, loaded with LD_PRELOAD into every daemon and worker: a TCP socket
 * bound to the wildcard address is bound to loopback instead (Storm has no bind setting).
 * 0.0.0.0 -> 127.0.0.1; :: -> ::ffff:127.0.0.1 (dual stack) or ::1 (IPV6_V6ONLY). Other
 * sockets (UDP: outbound clients bind 0.0.0.0:0; AF_UNIX; given addresses) bind unchanged. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);
static const unsigned char V4_MAPPED_LOOPBACK[16] = {[10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1};

static int sock_option(int fd, int level, int name) {
    int value = 0;
    socklen_t size = sizeof value;
    return getsockopt(fd, level, name, &value, &size) == 0 ? value : 0;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
    bind_fn real_bind = (bind_fn)dlsym(RTLD_NEXT, "bind");
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    if (!addr || sock_option(fd, SOL_SOCKET, SO_TYPE) != SOCK_STREAM) return real_bind(fd, addr, len);
    if (addr->sa_family == AF_INET && len >= sizeof v4) {
        memcpy(&v4, addr, sizeof v4);
        if (v4.sin_addr.s_addr == htonl(INADDR_ANY)) v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return real_bind(fd, (struct sockaddr *)&v4, sizeof v4);
    }
    if (addr->sa_family == AF_INET6 && len >= sizeof v6) {
        memcpy(&v6, addr, sizeof v6);
        if (IN6_IS_ADDR_UNSPECIFIED(&v6.sin6_addr)) {
            int v6only = sock_option(fd, IPPROTO_IPV6, IPV6_V6ONLY);
            memcpy(&v6.sin6_addr, v6only ? in6addr_loopback.s6_addr : V4_MAPPED_LOOPBACK, 16);
        }
        return real_bind(fd, (struct sockaddr *)&v6, sizeof v6);
    }
    return real_bind(fd, addr, len);
}
