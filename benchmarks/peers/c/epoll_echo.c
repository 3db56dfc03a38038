/*
 * A small single-threaded epoll echo server (TCP and UDP) on 127.0.0.1: the benchmark suite's reference for
 * what one core of this machine can do. Built by benchmarks/run with gcc -O2; not part of the product.
 *
 * Usage: epoll_echo TCP_PORT [UDP_PORT]   (0 picks a free port; no UDP_PORT, no UDP listener)
 * Prints "listening on tcp://127.0.0.1:PORT" (and "listening on udp://127.0.0.1:PORT") once bound, then serves
 * until SIGINT or SIGTERM.
 *
 * Level-triggered epoll. Every connection reads into one shared buffer (the server has one thread) and writes it
 * straight back; only when the socket cannot take everything is the rest copied into a buffer of the
 * connection's own, which waits for EPOLLOUT while the connection stops reading (back-pressure), and is freed
 * once sent. So an idle connection holds no buffer, and a client that does not read cannot make the server
 * buffer without bound.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFFER_SIZE 65536
#define MAX_EVENTS 256

struct connection {
    int fd;
    size_t pending_offset; /* bytes of pending already sent */
    size_t pending_length; /* bytes in pending */
    char *pending;         /* the unsent rest of a read, only while the socket is full */
};

static volatile sig_atomic_t stopping = 0;
static char shared_buffer[BUFFER_SIZE];

static void on_signal(int signal_number) {
    (void)signal_number;
    stopping = 1;
}

static void fail(const char *what) {
    perror(what);
    exit(1);
}

static int bind_socket(int type, int port) {
    int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) fail("bind");
    if (type == SOCK_STREAM && listen(fd, 4096) < 0) fail("listen");
    return fd;
}

static int bound_port(int fd) {
    struct sockaddr_in address;
    socklen_t length = sizeof address;
    if (getsockname(fd, (struct sockaddr *)&address, &length) < 0) fail("getsockname");
    return ntohs(address.sin_port);
}

static void close_connection(int epoll_fd, struct connection *connection) {
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, connection->fd, NULL);
    close(connection->fd);
    free(connection->pending);
    free(connection);
}

/* Sends length bytes of data; returns 0 when all is sent, 1 when the socket is full (offset says how far it got),
 * -1 on error. */
static int send_all(int fd, const char *data, size_t length, size_t *offset) {
    while (*offset < length) {
        ssize_t sent = send(fd, data + *offset, length - *offset, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 1;
            return -1;
        }
        *offset += (size_t)sent;
    }
    return 0;
}

static void watch(int epoll_fd, struct connection *connection, unsigned events) {
    struct epoll_event event = {.events = events, .data.ptr = connection};
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, connection->fd, &event);
}

static void serve_connection(int epoll_fd, struct connection *connection, unsigned events) {
    if (connection->pending != NULL) {
        int state = send_all(connection->fd, connection->pending, connection->pending_length,
                             &connection->pending_offset);
        if (state < 0) {
            close_connection(epoll_fd, connection);
            return;
        }
        if (state > 0) return;
        free(connection->pending);
        connection->pending = NULL;
        connection->pending_offset = connection->pending_length = 0;
        watch(epoll_fd, connection, EPOLLIN);
        return;
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    for (int reads = 0; reads < 16; reads++) {
        ssize_t received = recv(connection->fd, shared_buffer, BUFFER_SIZE, 0);
        if (received == 0) {
            close_connection(epoll_fd, connection);
            return;
        }
        if (received < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            close_connection(epoll_fd, connection);
            return;
        }
        size_t offset = 0;
        int state = send_all(connection->fd, shared_buffer, (size_t)received, &offset);
        if (state < 0) {
            close_connection(epoll_fd, connection);
            return;
        }
        if (state > 0) {
            connection->pending_length = (size_t)received - offset;
            connection->pending = malloc(connection->pending_length);
            if (connection->pending == NULL) fail("malloc");
            memcpy(connection->pending, shared_buffer + offset, connection->pending_length);
            watch(epoll_fd, connection, EPOLLOUT);
            return;
        }
        if ((size_t)received < BUFFER_SIZE) return;
    }
}

static void accept_all(int epoll_fd, int listen_fd) {
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) perror("accept4");
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct connection *connection = calloc(1, sizeof *connection);
        if (connection == NULL) fail("calloc");
        connection->fd = fd;
        struct epoll_event event = {.events = EPOLLIN, .data.ptr = connection};
        if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0) {
            perror("epoll_ctl");
            close(fd);
            free(connection);
        }
    }
}

static void echo_datagrams(int udp_fd) {
    char *buffer = shared_buffer;
    for (int datagrams = 0; datagrams < 64; datagrams++) {
        struct sockaddr_in peer;
        socklen_t length = sizeof peer;
        ssize_t received = recvfrom(udp_fd, buffer, BUFFER_SIZE, 0, (struct sockaddr *)&peer, &length);
        if (received < 0) return;
        sendto(udp_fd, buffer, (size_t)received, 0, (struct sockaddr *)&peer, length);
    }
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s TCP_PORT [UDP_PORT]\n", argv[0]);
        return 2;
    }
    struct sigaction action = {0};
    action.sa_handler = on_signal;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    signal(SIGPIPE, SIG_IGN);

    int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) fail("epoll_create1");
    /* The listeners are told apart from connections by these two markers in data.ptr. */
    static char listen_marker, udp_marker;
    int listen_fd = bind_socket(SOCK_STREAM, atoi(argv[1]));
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = &listen_marker};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &event) < 0) fail("epoll_ctl");
    int udp_fd = -1;
    if (argc == 3) {
        udp_fd = bind_socket(SOCK_DGRAM, atoi(argv[2]));
        event.data.ptr = &udp_marker;
        if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, udp_fd, &event) < 0) fail("epoll_ctl");
    }
    printf("listening on tcp://127.0.0.1:%d\n", bound_port(listen_fd));
    if (udp_fd >= 0) printf("listening on udp://127.0.0.1:%d\n", bound_port(udp_fd));
    fflush(stdout);

    struct epoll_event events[MAX_EVENTS];
    while (!stopping) {
        int count = epoll_wait(epoll_fd, events, MAX_EVENTS, -1);
        if (count < 0) {
            if (errno == EINTR) continue;
            fail("epoll_wait");
        }
        for (int i = 0; i < count; i++) {
            void *source = events[i].data.ptr;
            if (source == &listen_marker) {
                accept_all(epoll_fd, listen_fd);
            } else if (source == &udp_marker) {
                echo_datagrams(udp_fd);
            } else {
                serve_connection(epoll_fd, source, events[i].events);
            }
        }
    }
    return 0;
}
