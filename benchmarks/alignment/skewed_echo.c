/*
 * An experiment, not a peer: a single-threaded epoll echo server shaped as the library's reactor connection is
 * (recvmsg into 4 KiB blocks, a copy into output blocks, sendmsg from them), whose output blocks start SKEW bytes
 * past a cache line. benchmarks/alignment/run loads it with the suite's C generator at several skews to measure what
 * an unaligned send buffer costs the kernel's copy (the reason DuplexSegment and CacheLine align buffers).
 *
 * Usage: skewed_echo SKEW     (0..4095; prints "listening on tcp://127.0.0.1:PORT", serves until SIGINT/SIGTERM)
 *
 * A send the socket cannot take whole is finished on EPOLLOUT before the connection reads again (back-pressure, as
 * the reference server does), from the same output blocks.
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
#include <sys/uio.h>
#include <unistd.h>

#define BLOCK 4096
#define BLOCKS 16
#define MAX_EVENTS 256

struct connection {
    int fd;
    size_t unsent_offset; /* bytes of the output already sent, while a send waits for EPOLLOUT */
    size_t unsent_length; /* bytes in the output; 0 when nothing waits */
    char *output;         /* the connection's own copy while a send waits, at the same skew */
    char *area;           /* what was allocated for it */
};

static volatile sig_atomic_t stopping = 0;
static char *input;  /* BLOCKS blocks, page-aligned, as the reactor's are now */
static char *output; /* BLOCKS blocks, SKEW bytes past a line */
static int skew;

static void on_signal(int signal_number) {
    (void)signal_number;
    stopping = 1;
}

static void fail(const char *what) {
    perror(what);
    exit(1);
}

/* Sends data[*offset..length) as 4 KiB iovecs; 0 when all is sent, 1 when the socket is full, -1 on error. */
static int send_blocks(int fd, const char *data, size_t length, size_t *offset) {
    while (*offset < length) {
        struct iovec vectors[BLOCKS + 1];
        int count = 0;
        for (size_t at = *offset; at < length && count < BLOCKS + 1; count++) {
            size_t end = (at / BLOCK + 1) * BLOCK;
            if (end > length) end = length;
            vectors[count].iov_base = (char *)data + at;
            vectors[count].iov_len = end - at;
            at = end;
        }
        struct msghdr message = {.msg_iov = vectors, .msg_iovlen = (size_t)count};
        ssize_t sent = sendmsg(fd, &message, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : -1;
        }
        *offset += (size_t)sent;
    }
    return 0;
}

static void watch(int epoll_fd, struct connection *connection, unsigned int events) {
    struct epoll_event event = {.events = events, .data.ptr = connection};
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, connection->fd, &event);
}

static void close_connection(int epoll_fd, struct connection *connection) {
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, connection->fd, NULL);
    close(connection->fd);
    free(connection->area);
    free(connection);
}

static void serve_connection(int epoll_fd, struct connection *connection) {
    if (connection->unsent_length > 0) {
        int state = send_blocks(connection->fd, connection->output, connection->unsent_length,
                                &connection->unsent_offset);
        if (state < 0) {
            close_connection(epoll_fd, connection);
            return;
        }
        if (state > 0) return;
        free(connection->area);
        connection->area = connection->output = NULL;
        connection->unsent_length = connection->unsent_offset = 0;
        watch(epoll_fd, connection, EPOLLIN);
        return;
    }
    struct iovec vectors[BLOCKS];
    for (int i = 0; i < BLOCKS; i++) {
        vectors[i].iov_base = input + i * BLOCK;
        vectors[i].iov_len = BLOCK;
    }
    struct msghdr message = {.msg_iov = vectors, .msg_iovlen = BLOCKS};
    ssize_t received = recvmsg(connection->fd, &message, 0);
    if (received == 0 || (received < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        close_connection(epoll_fd, connection);
        return;
    }
    if (received < 0) return;
    /* The handler's copy, as the library's echo writes each received segment into its output. */
    memcpy(output, input, (size_t)received);
    size_t offset = 0;
    int state = send_blocks(connection->fd, output, (size_t)received, &offset);
    if (state < 0) {
        close_connection(epoll_fd, connection);
        return;
    }
    if (state > 0) {
        /* Kept whole, at the same skew, so the rest goes out from a buffer shaped as the first part was. */
        connection->area = aligned_alloc(4096, BLOCKS * BLOCK + 4096);
        if (connection->area == NULL) fail("aligned_alloc");
        connection->output = connection->area + skew;
        memcpy(connection->output, output, (size_t)received);
        connection->unsent_length = (size_t)received;
        connection->unsent_offset = offset;
        watch(epoll_fd, connection, EPOLLOUT);
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
        if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0) fail("epoll_ctl");
    }
}

int main(int argc, char **argv) {
    if (argc != 2 || atoi(argv[1]) < 0 || atoi(argv[1]) > 4095) {
        fprintf(stderr, "usage: %s SKEW   (bytes past a cache line that the output blocks start at, 0..4095)\n", argv[0]);
        return 2;
    }
    skew = atoi(argv[1]);
    struct sigaction action = {0};
    action.sa_handler = on_signal;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    signal(SIGPIPE, SIG_IGN);

    input = aligned_alloc(4096, BLOCKS * BLOCK);
    char *output_area = aligned_alloc(4096, BLOCKS * BLOCK + 4096);
    if (input == NULL || output_area == NULL) fail("aligned_alloc");
    memset(input, 0, BLOCKS * BLOCK);
    memset(output_area, 0, BLOCKS * BLOCK + 4096);
    output = output_area + skew;

    int listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd < 0) fail("socket");
    int one = 1;
    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(listen_fd, (struct sockaddr *)&address, sizeof address) < 0) fail("bind");
    if (listen(listen_fd, 4096) < 0) fail("listen");
    socklen_t length = sizeof address;
    if (getsockname(listen_fd, (struct sockaddr *)&address, &length) < 0) fail("getsockname");

    int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) fail("epoll_create1");
    static char listen_marker;
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = &listen_marker};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &event) < 0) fail("epoll_ctl");
    printf("listening on tcp://127.0.0.1:%d\n", ntohs(address.sin_port));
    fflush(stdout);

    struct epoll_event events[MAX_EVENTS];
    while (!stopping) {
        int count = epoll_wait(epoll_fd, events, MAX_EVENTS, -1);
        if (count < 0) {
            if (errno == EINTR) continue;
            fail("epoll_wait");
        }
        for (int i = 0; i < count; i++) {
            if (events[i].data.ptr == &listen_marker) {
                accept_all(epoll_fd, listen_fd);
            } else {
                serve_connection(epoll_fd, events[i].data.ptr);
            }
        }
    }
    return 0;
}
