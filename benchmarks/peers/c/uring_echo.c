/*
 * A single-threaded io_uring echo server (TCP and UDP) on 127.0.0.1: the benchmark suite's reference for what one
 * core can do through io_uring, beside epoll_echo.c for epoll. Built by benchmarks/run with gcc -O2 and liburing
 * (Debian's liburing-dev); not part of the product. Needs Linux 5.19 or later (multishot receive) with io_uring
 * enabled (/proc/sys/kernel/io_uring_disabled, and not blocked by a container's seccomp profile).
 *
 * Usage: uring_echo TCP_PORT [UDP_PORT]   (0 picks a free port; no UDP_PORT, no UDP listener)
 * Prints "listening on tcp://127.0.0.1:PORT" (and "listening on udp://127.0.0.1:PORT") once bound, then serves
 * until SIGINT or SIGTERM.
 *
 * One multishot accept on the listener; one multishot receive per connection, into buffers the kernel picks from a
 * provided-buffer ring shared by all connections (an idle connection holds no buffer); UDP through one multishot
 * recvmsg. Each received buffer is sent back from where it landed (no copy) and returned to the ring once sent. A
 * connection has at most one send in flight, so its bytes stay in order; what arrives meanwhile waits in its queue
 * (the kernel stops filling buffers when the ring is empty, which is the back-pressure). Every submission queued in
 * a loop turn goes to the kernel in the one io_uring_enter that also waits for the next completions.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define RING_ENTRIES 4096
#define BUFFER_COUNT 4096 /* a power of two */
#define BUFFER_SIZE 16384
#define BUFFER_GROUP 0

enum kind { ACCEPT, RECEIVE, SEND, UDP_RECEIVE, UDP_SEND };

/* Every request's user_data points at a struct whose first member is its kind. */
struct connection;
struct send {
    enum kind kind;
    struct connection *connection; /* TCP */
    unsigned short buffer;
    unsigned offset, length;
    struct send *next;
    struct msghdr message; /* UDP */
    struct iovec vector;
    struct sockaddr_in peer;
};

struct connection {
    enum kind kind; /* RECEIVE */
    int fd;
    int receiving; /* a multishot receive is armed */
    int closing;
    struct send *sending; /* the send in flight */
    struct send *queue_head, *queue_tail;
};

static volatile sig_atomic_t stopping = 0;
static struct io_uring ring;
static struct io_uring_buf_ring *buffer_ring;
static char *buffers;
static int returned; /* buffers given back to the ring this loop turn, published together */
static struct send *free_sends;
static enum kind accept_marker = ACCEPT, udp_marker = UDP_RECEIVE;
static int listen_fd = -1, udp_fd = -1;
static struct msghdr udp_receive_header;

static void on_signal(int signal_number) {
    (void)signal_number;
    stopping = 1;
}

static void fail(const char *what, int error) {
    fprintf(stderr, "uring_echo: %s: %s\n", what, strerror(error));
    exit(1);
}

static int bind_socket(int type, int port) {
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket", errno);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) fail("bind", errno);
    if (type == SOCK_STREAM && listen(fd, 4096) < 0) fail("listen", errno);
    return fd;
}

static int bound_port(int fd) {
    struct sockaddr_in address;
    socklen_t length = sizeof address;
    if (getsockname(fd, (struct sockaddr *)&address, &length) < 0) fail("getsockname", errno);
    return ntohs(address.sin_port);
}

/* A submission entry; when the queue is full, what is queued goes to the kernel first. */
static struct io_uring_sqe *next_sqe(void) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    while (sqe == NULL) {
        io_uring_submit(&ring);
        sqe = io_uring_get_sqe(&ring);
    }
    return sqe;
}

static char *buffer_at(unsigned short id) { return buffers + (size_t)id * BUFFER_SIZE; }

static void give_back(unsigned short id) {
    io_uring_buf_ring_add(buffer_ring, buffer_at(id), BUFFER_SIZE, id, io_uring_buf_ring_mask(BUFFER_COUNT),
                          returned);
    returned++;
}

static struct send *new_send(void) {
    struct send *send = free_sends;
    if (send != NULL) {
        free_sends = send->next;
    } else {
        send = malloc(sizeof *send);
        if (send == NULL) fail("malloc", ENOMEM);
    }
    memset(send, 0, sizeof *send);
    return send;
}

static void free_send(struct send *send) {
    give_back(send->buffer);
    send->next = free_sends;
    free_sends = send;
}

static void arm_accept(void) {
    struct io_uring_sqe *sqe = next_sqe();
    io_uring_prep_multishot_accept(sqe, listen_fd, NULL, NULL, SOCK_CLOEXEC);
    io_uring_sqe_set_data(sqe, &accept_marker);
}

static void arm_receive(struct connection *connection) {
    struct io_uring_sqe *sqe = next_sqe();
    io_uring_prep_recv_multishot(sqe, connection->fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = BUFFER_GROUP;
    io_uring_sqe_set_data(sqe, connection);
    connection->receiving = 1;
}

static void arm_udp_receive(void) {
    struct io_uring_sqe *sqe = next_sqe();
    io_uring_prep_recvmsg_multishot(sqe, udp_fd, &udp_receive_header, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = BUFFER_GROUP;
    io_uring_sqe_set_data(sqe, &udp_marker);
}

static void submit_send(struct send *send) {
    struct io_uring_sqe *sqe = next_sqe();
    io_uring_prep_send(sqe, send->connection->fd, buffer_at(send->buffer) + send->offset, send->length - send->offset,
                       MSG_NOSIGNAL);
    io_uring_sqe_set_data(sqe, send);
    send->connection->sending = send;
}

/* Closes the connection once nothing of it is in flight: no armed receive, no send. */
static void maybe_release(struct connection *connection) {
    if (!connection->closing || connection->receiving || connection->sending != NULL) return;
    while (connection->queue_head != NULL) {
        struct send *send = connection->queue_head;
        connection->queue_head = send->next;
        free_send(send);
    }
    close(connection->fd);
    free(connection);
}

static void start_closing(struct connection *connection) {
    if (!connection->closing) {
        connection->closing = 1;
        /* ends the armed receive, if any, with an error completion */
        if (connection->receiving) shutdown(connection->fd, SHUT_RDWR);
    }
    maybe_release(connection);
}

static void on_accept(struct io_uring_cqe *cqe) {
    if (cqe->res >= 0) {
        int one = 1;
        setsockopt(cqe->res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct connection *connection = calloc(1, sizeof *connection);
        if (connection == NULL) fail("calloc", ENOMEM);
        connection->kind = RECEIVE;
        connection->fd = cqe->res;
        arm_receive(connection);
    }
    if (!(cqe->flags & IORING_CQE_F_MORE) && !stopping) arm_accept();
}

static void on_receive(struct connection *connection, struct io_uring_cqe *cqe) {
    int more = (cqe->flags & IORING_CQE_F_MORE) != 0;
    if (!more) connection->receiving = 0;
    if (cqe->res > 0) {
        struct send *send = new_send();
        send->kind = SEND;
        send->connection = connection;
        send->buffer = (unsigned short)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
        send->length = (unsigned)cqe->res;
        if (connection->closing) {
            free_send(send);
        } else if (connection->sending == NULL) {
            submit_send(send);
        } else if (connection->queue_tail != NULL) {
            connection->queue_tail->next = send;
            connection->queue_tail = send;
        } else {
            connection->queue_head = connection->queue_tail = send;
        }
        if (!more && !connection->closing) arm_receive(connection);
        maybe_release(connection);
    } else if (cqe->res == -ENOBUFS) {
        /* the ring ran dry: buffers come back as sends complete; receive again then (this turn's are published first) */
        if (!more && !connection->closing) arm_receive(connection);
        maybe_release(connection);
    } else {
        start_closing(connection); /* 0: the client closed; below 0: reset or shut down. It may be freed now. */
    }
}

static void on_send(struct send *send, struct io_uring_cqe *cqe) {
    struct connection *connection = send->connection;
    connection->sending = NULL;
    if (cqe->res < 0) {
        free_send(send);
        start_closing(connection);
        return;
    }
    send->offset += (unsigned)cqe->res;
    if (send->offset < send->length && !connection->closing) {
        submit_send(send);
        return;
    }
    free_send(send);
    if (!connection->closing && connection->queue_head != NULL) {
        struct send *next = connection->queue_head;
        connection->queue_head = next->next;
        if (connection->queue_head == NULL) connection->queue_tail = NULL;
        next->next = NULL;
        submit_send(next);
    }
    maybe_release(connection);
}

static void on_udp_receive(struct io_uring_cqe *cqe) {
    if (cqe->res >= 0) {
        unsigned short id = (unsigned short)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
        struct io_uring_recvmsg_out *out = io_uring_recvmsg_validate(buffer_at(id), cqe->res, &udp_receive_header);
        if (out == NULL || out->namelen > sizeof(struct sockaddr_in) || (out->flags & MSG_TRUNC)) {
            give_back(id);
        } else {
            struct send *send = new_send();
            send->kind = UDP_SEND;
            send->buffer = id;
            memcpy(&send->peer, io_uring_recvmsg_name(out), out->namelen);
            send->vector.iov_base = io_uring_recvmsg_payload(out, &udp_receive_header);
            send->vector.iov_len = io_uring_recvmsg_payload_length(out, cqe->res, &udp_receive_header);
            send->message.msg_name = &send->peer;
            send->message.msg_namelen = out->namelen;
            send->message.msg_iov = &send->vector;
            send->message.msg_iovlen = 1;
            struct io_uring_sqe *sqe = next_sqe();
            io_uring_prep_sendmsg(sqe, udp_fd, &send->message, 0);
            io_uring_sqe_set_data(sqe, send);
        }
    }
    if (!(cqe->flags & IORING_CQE_F_MORE) && !stopping) arm_udp_receive();
}

static void setup_ring(void) {
    struct io_uring_params params;
    /* One thread submits, and completions' task work runs when it waits: the cheapest setup where the kernel has it
     * (6.1+); older kernels get the plain one. */
    memset(&params, 0, sizeof params);
    params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
    params.cq_entries = RING_ENTRIES * 4;
    int result = io_uring_queue_init_params(RING_ENTRIES, &ring, &params);
    if (result == -EINVAL) {
        memset(&params, 0, sizeof params);
        params.flags = IORING_SETUP_CQSIZE;
        params.cq_entries = RING_ENTRIES * 4;
        result = io_uring_queue_init_params(RING_ENTRIES, &ring, &params);
    }
    if (result < 0) fail("io_uring_queue_init (is io_uring disabled or blocked here?)", -result);

    size_t ring_bytes = BUFFER_COUNT * sizeof(struct io_uring_buf);
    buffer_ring = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (buffer_ring == MAP_FAILED) fail("mmap", errno);
    struct io_uring_buf_reg registration = {0};
    registration.ring_addr = (unsigned long)buffer_ring;
    registration.ring_entries = BUFFER_COUNT;
    registration.bgid = BUFFER_GROUP;
    result = io_uring_register_buf_ring(&ring, &registration, 0);
    if (result < 0) fail("io_uring_register_buf_ring (needs Linux 5.19)", -result);
    io_uring_buf_ring_init(buffer_ring);
    /* Untouched until used: an idle server's resident memory does not grow with the pool. */
    buffers = mmap(NULL, (size_t)BUFFER_COUNT * BUFFER_SIZE, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (buffers == MAP_FAILED) fail("mmap", errno);
    for (unsigned short id = 0; id < BUFFER_COUNT; id++) give_back(id);
    io_uring_buf_ring_advance(buffer_ring, returned);
    returned = 0;
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

    setup_ring();
    listen_fd = bind_socket(SOCK_STREAM, atoi(argv[1]));
    arm_accept();
    if (argc == 3) {
        udp_fd = bind_socket(SOCK_DGRAM, atoi(argv[2]));
        udp_receive_header.msg_namelen = sizeof(struct sockaddr_in);
        arm_udp_receive();
    }
    /* The first submit shows whether the kernel takes these requests at all, before the ready lines are printed. */
    int submitted = io_uring_submit(&ring);
    if (submitted < 0) fail("io_uring_submit", -submitted);
    printf("listening on tcp://127.0.0.1:%d\n", bound_port(listen_fd));
    if (udp_fd >= 0) printf("listening on udp://127.0.0.1:%d\n", bound_port(udp_fd));
    fflush(stdout);

    while (!stopping) {
        int result = io_uring_submit_and_wait(&ring, 1);
        if (result < 0 && result != -EINTR && result != -EAGAIN && result != -EBUSY) fail("io_uring_submit_and_wait", -result);
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            seen++;
            enum kind *kind = io_uring_cqe_get_data(cqe);
            switch (*kind) {
            case ACCEPT:
                on_accept(cqe);
                break;
            case RECEIVE:
                on_receive((struct connection *)kind, cqe);
                break;
            case SEND:
                on_send((struct send *)kind, cqe);
                break;
            case UDP_RECEIVE:
                on_udp_receive(cqe);
                break;
            case UDP_SEND:
                free_send((struct send *)kind);
                break;
            }
        }
        io_uring_cq_advance(&ring, seen);
        if (returned > 0) {
            io_uring_buf_ring_advance(buffer_ring, returned);
            returned = 0;
        }
    }
    return 0;
}
