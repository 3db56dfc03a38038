/*
 * The benchmark suite's load generator in C: the cases of `socketserver bench` (pingpong, pipeline, connrate, udp,
 * idle) with the same semantics and the same `--json` report, on one thread and one level of edge-triggered epoll,
 * so that it spends as little CPU per message as it can and the server, not the generator, sets the pace. Built by
 * benchmarks/run with gcc -O2 like epoll_echo.c; not part of the product.
 *
 * Usage: loadgen MODE --target tcp://HOST:PORT|udp://HOST:PORT [-c N] [-s BYTES] [-p P] [-d SECONDS]
 *                [--warmup SECONDS] [-n MESSAGES] [--json]
 *   MODE is pingpong, pipeline, connrate, udp or idle; HOST an IPv4 address. The options mean what they mean for
 *   `socketserver bench` (docs/cli.md): -c connections (udp: sockets, connrate: concurrent workers; default 64,
 *   16 for connrate), -s message size (default 32), -p messages in flight per connection in pipeline mode
 *   (default 8), -d measured seconds (default 10) after --warmup seconds (default 1), -n: also stop after exactly
 *   this many measured messages (connections in connrate mode).
 *
 * Semantics, as bench's reactor engine:
 * - Each connection (udp socket, connrate worker) sends a stream read from bench's pseudo-random sequence (period
 *   65521) from a point of its own, and expects exactly that stream back; anything else is a mismatch. A message
 *   is counted if it was sent inside the measured window and its echo verified before the window closed; its
 *   latency runs from its send (connrate: from the connect) to its last byte verified.
 * - pingpong: one message in flight per connection; pipeline: P in flight, each completed message sends the next;
 *   connrate: connect, one round trip, close, again; udp: a connected socket with one datagram in flight, a reply
 *   missing for 1 s is a timeout and the next datagram goes; a late echo of one of the 16 datagrams before is
 *   ignored. idle: one verified round trip per connection (counted even during the warm-up), then the connection
 *   is held until the run ends; any byte or close from the server is then an error.
 * - In the stream modes a mismatch, a reset or a close ends that connection (not replaced); connrate counts the
 *   error and goes on with a new connection.
 * - Errors are counted over the whole run, warm-up included. SIGINT or SIGTERM ends the run early; the report of
 *   what was measured so far is printed. Exit code 0, 4 if an error was counted, 5 if the target did not echo
 *   (a mismatch, or not one round trip), 2 for a usage error.
 *
 * Latency percentiles come from a log-linear histogram of nanoseconds (64 sub-buckets per power of two, so within
 * 1.6%), reported as the highest value of the percentile's bucket, as HdrHistogram does. cpuSeconds is this
 * process's user and system time over the measured window (getrusage).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PERIOD 65521
#define MAX_EVENTS 512
#define MAX_READ 65536
#define UDP_TIMEOUT_NS 1000000000LL
#define LATE_WINDOW 16
#define HIGHEST_NS 10000000000LL
#define SUB_BITS 6 /* 64 sub-buckets per power of two */
#define BUCKETS ((64 - SUB_BITS) << SUB_BITS)

enum mode { PINGPONG, PIPELINE, CONNRATE, UDP, IDLE };
static const char *const mode_names[] = {"pingpong", "pipeline", "connrate", "udp", "idle"};
enum error_kind { E_CONNECT, E_RESET, E_MISMATCH, E_TIMEOUT, E_OTHER, E_KINDS };

struct client {
    int fd;
    int id;
    int connecting;
    int retry;         /* connrate: connect again after this event batch (a refused connect fails at once) */
    int opened;        /* idle: its round trip was verified */
    uint32_t seed;
    uint64_t base;     /* pattern offset of the current connection's first byte (connrate moves on) */
    uint64_t queued;   /* bytes queued to send on this connection */
    uint64_t sent;     /* bytes sent */
    uint64_t received; /* bytes received and verified */
    int64_t connect_at;
    int64_t sent_at_one; /* the timestamp when depth is 1 (every mode but pipeline) */
    int64_t *sent_at;    /* pipeline: one per message in flight */
    uint64_t udp_sequence;
};

static volatile sig_atomic_t stopping = 0;
static enum mode mode;
static struct sockaddr_in target;
static char target_text[256];
static int connections = -1, size = 32, depth = 8, json = 0;
static double duration = 10, warmup = 1;
static uint64_t max_messages = 0; /* -n: stop after this many measured messages; 0 for no bound */

static unsigned char *pattern;
static int max_chunk;
static unsigned char *read_buffer; /* one thread: every connection reads into this */
static size_t read_capacity;
static int epoll_fd;

static int64_t measure_from = INT64_MAX;
static uint64_t messages, round_trips, payload_bytes;
static uint64_t errors[E_KINDS];
static uint64_t histogram[BUCKETS];
static int live;  /* clients still running (a failed stream connection ends its client, except in connrate) */
static int retries; /* connrate clients waiting to connect again */

static void on_signal(int signal_number) {
    (void)signal_number;
    stopping = 1;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double cpu_now(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + (double)usage.ru_stime.tv_sec +
           usage.ru_stime.tv_usec / 1e6;
}

/* ---------------------------------------------------------------------------------------------------------------
 * The pattern: bench's sequence (src/SocketServer.Cli/Bench/Pattern.cs), so that both generators send the same bytes */

static void build_pattern(void) {
    pattern = malloc((size_t)PERIOD + (size_t)max_chunk);
    if (pattern == NULL) {
        perror("malloc");
        exit(1);
    }
    for (int i = 0; i < PERIOD + max_chunk; i++) {
        uint32_t x = (uint32_t)(i % PERIOD) * 2654435761u;
        pattern[i] = (unsigned char)((x >> 24) ^ (x >> 11));
    }
}

static const unsigned char *pattern_at(uint32_t seed, uint64_t offset) {
    return pattern + (seed + offset) % PERIOD;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Latency histogram */

static int bucket_of(int64_t value) {
    if (value < 0) value = 0;
    if (value > HIGHEST_NS) value = HIGHEST_NS;
    uint64_t v = (uint64_t)value;
    if (v < (2u << SUB_BITS)) return (int)v;
    int magnitude = 63 - __builtin_clzll(v);
    int shift = magnitude - SUB_BITS;
    return (shift << SUB_BITS) + (int)(v >> shift);
}

static double bucket_high_us(int index) {
    if (index < (2 << SUB_BITS)) return index / 1000.0;
    int shift = (index >> SUB_BITS) - 1;
    uint64_t sub = (uint64_t)(index & ((1 << SUB_BITS) - 1)) + (1u << SUB_BITS);
    return (double)(((sub + 1) << shift) - 1) / 1000.0;
}

static double percentile_us(double percentile, uint64_t total) {
    if (total == 0) return 0;
    uint64_t wanted = (uint64_t)(percentile / 100.0 * (double)total + 0.999999);
    if (wanted < 1) wanted = 1;
    uint64_t seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
        seen += histogram[i];
        if (seen >= wanted) return bucket_high_us(i);
    }
    return bucket_high_us(BUCKETS - 1);
}

/* A verified round trip: counted if it was sent inside the measured window. */
static void record(int64_t sent_at, int64_t now) {
    round_trips++;
    if (sent_at < measure_from) return;
    if (max_messages != 0 && messages >= max_messages) return; /* past -n: the run is ending */
    messages++;
    payload_bytes += (uint64_t)size;
    histogram[bucket_of(now - sent_at)]++;
    if (messages == max_messages) stopping = 1;
}

static void count_error(enum error_kind kind) { errors[kind]++; }

static enum error_kind classify(int error) {
    switch (error) {
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:
    case ENOTCONN:
    case ESHUTDOWN:
        return E_RESET;
    case ECONNREFUSED:
    case EHOSTUNREACH:
    case ENETUNREACH:
        return E_CONNECT;
    case ETIMEDOUT:
        return E_TIMEOUT;
    default:
        return E_OTHER;
    }
}

/* ---------------------------------------------------------------------------------------------------------------
 * Stream clients: pingpong, pipeline, connrate, idle. Registered once, edge-triggered, for input and output. */

static int client_depth(void) { return mode == PIPELINE ? depth : 1; }
static uint64_t client_limit(void) { return (mode == CONNRATE || mode == IDLE) ? 1 : UINT64_MAX; }

static void close_socket(struct client *client) {
    if (client->fd >= 0) {
        close(client->fd); /* also leaves the epoll set */
        client->fd = -1;
    }
}

static void stream_connect(struct client *client);

/* A connection failed (counted already): connrate goes on with a new one, the other modes end the client. */
static void connection_failed(struct client *client) {
    close_socket(client);
    client->connecting = 0;
    if (mode == CONNRATE) {
        /* Not at once: a refused connect fails within connect(), and this would recurse while the server is gone. */
        client->base += (uint64_t)size;
        client->retry = 1;
        retries++;
        return;
    }
    live--;
}

static void fail(struct client *client, enum error_kind kind) {
    count_error(kind);
    connection_failed(client);
}

static void stream_connect(struct client *client) {
    client->connect_at = now_ns();
    client->queued = client->sent = client->received = 0;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        count_error(classify(errno));
        live--; /* out of descriptors: this client ends, in every mode */
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    client->fd = fd;
    if (connect(fd, (struct sockaddr *)&target, sizeof target) < 0 && errno != EINPROGRESS) {
        fail(client, E_CONNECT);
        return;
    }
    struct epoll_event event = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = client};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0) {
        fail(client, E_OTHER);
        return;
    }
    client->connecting = 1;
}

/* Sends what is queued until all is sent or the socket is full (an output edge resumes). 0 if it failed. */
static int flush(struct client *client) {
    while (client->sent < client->queued) {
        uint64_t length = client->queued - client->sent;
        if (length > (uint64_t)max_chunk) length = (uint64_t)max_chunk;
        ssize_t sent = send(client->fd, pattern_at(client->seed, client->base + client->sent), length, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 1;
            if (errno == EINTR) continue;
            fail(client, classify(errno));
            return 0;
        }
        client->sent += (uint64_t)sent;
    }
    return 1;
}

/* Queues as many messages as the window allows and sends them. 0 if the connection failed. */
static int fill_window(struct client *client, int64_t now) {
    uint64_t started = client->queued / (uint64_t)size;
    uint64_t in_flight = started - client->received / (uint64_t)size;
    uint64_t more = (uint64_t)client_depth() - in_flight;
    uint64_t limit = client_limit();
    if (limit != UINT64_MAX && more > limit - started) more = limit - started;
    if (more == 0) return 1;
    if (mode == PIPELINE) {
        for (uint64_t message = started; message < started + more; message++)
            client->sent_at[message % (uint64_t)depth] = now;
    } else {
        client->sent_at_one = now;
    }
    client->queued += more * (uint64_t)size;
    return flush(client);
}

static void connected(struct client *client) {
    int error = 0;
    socklen_t length = sizeof error;
    if (getsockopt(client->fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0) error = errno;
    client->connecting = 0;
    if (error != 0) {
        fail(client, E_CONNECT);
        return;
    }
    fill_window(client, now_ns());
}

/* Messages first..last-1 came back whole. 0 if the connection was closed (or replaced). */
static int completed(struct client *client, uint64_t first, uint64_t last) {
    int64_t now = now_ns();
    switch (mode) {
    case IDLE:
        /* counted even during the warm-up: idle mode's one round trip per connection is all there is */
        round_trips++;
        messages++;
        payload_bytes += (uint64_t)size;
        histogram[bucket_of(now - client->sent_at_one)]++;
        client->opened = 1;
        return 1;
    case CONNRATE:
        record(client->connect_at, now);
        close_socket(client);
        client->base += (uint64_t)size;
        if (!stopping) stream_connect(client);
        return 0;
    case PIPELINE:
        for (uint64_t message = first; message < last; message++)
            record(client->sent_at[message % (uint64_t)depth], now);
        return fill_window(client, now);
    default:
        record(client->sent_at_one, now);
        return fill_window(client, now);
    }
}

/* Reads and verifies until the socket is drained. 0 if the connection was closed. */
static int read_available(struct client *client) {
    for (;;) {
        ssize_t got = recv(client->fd, read_buffer, read_capacity, 0);
        if (got > 0) {
            if ((uint64_t)got > client->sent - client->received ||
                memcmp(read_buffer, pattern_at(client->seed, client->base + client->received), (size_t)got) != 0) {
                fail(client, E_MISMATCH);
                return 0;
            }
            uint64_t first = client->received / (uint64_t)size;
            client->received += (uint64_t)got;
            uint64_t last = client->received / (uint64_t)size;
            if (last > first && !completed(client, first, last)) return 0;
            /* A read that did not fill the buffer drained the socket: the edge-triggered registration reports more. */
            if ((size_t)got < read_capacity) return 1;
            continue;
        }
        if (got == 0) {
            fail(client, E_RESET);
            return 0;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 1;
        if (errno == EINTR) continue;
        fail(client, classify(errno));
        return 0;
    }
}

static void stream_events(struct client *client, uint32_t events) {
    if (client->fd < 0) return;
    if (client->connecting) {
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) connected(client);
        return;
    }
    if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) && !read_available(client)) return;
    if ((events & EPOLLOUT) && client->sent < client->queued) flush(client);
}

/* ---------------------------------------------------------------------------------------------------------------
 * UDP clients: a connected socket each, one datagram in flight, level-triggered input. */

static void udp_send(struct client *client, int64_t now) {
    client->sent_at_one = now;
    for (;;) {
        ssize_t sent = send(client->fd, pattern_at(client->seed, client->udp_sequence * (uint64_t)size), (size_t)size, 0);
        if (sent >= 0) return;
        if (errno == EINTR) continue;
        /* a refused datagram (ICMP port unreachable) or a full buffer: the reply will not come; its timeout counts it */
        if (errno == ECONNREFUSED) count_error(E_CONNECT);
        return;
    }
}

static int udp_late(struct client *client, const unsigned char *reply, ssize_t length) {
    if (length != size) return 0;
    for (uint64_t back = 1; back <= LATE_WINDOW && back <= client->udp_sequence; back++) {
        if (memcmp(reply, pattern_at(client->seed, (client->udp_sequence - back) * (uint64_t)size), (size_t)size) == 0)
            return 1;
    }
    return 0;
}

static void udp_events(struct client *client) {
    ssize_t got = recv(client->fd, read_buffer, (size_t)size + 1, 0);
    if (got < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        count_error(errno == ECONNREFUSED ? E_CONNECT : classify(errno));
        return; /* the timeout sends the next one */
    }
    int64_t now = now_ns();
    if (got == size && memcmp(read_buffer, pattern_at(client->seed, client->udp_sequence * (uint64_t)size), (size_t)size) == 0) {
        record(client->sent_at_one, now);
    } else if (udp_late(client, read_buffer, got)) {
        return; /* an echo after its own timeout: its loss is counted already */
    } else {
        count_error(E_MISMATCH);
    }
    client->udp_sequence++;
    if (!stopping) udp_send(client, now);
}

static void udp_timeouts(struct client *clients, int count, int64_t now) {
    for (int i = 0; i < count; i++) {
        if (clients[i].fd >= 0 && now - clients[i].sent_at_one >= UDP_TIMEOUT_NS) {
            count_error(E_TIMEOUT);
            clients[i].udp_sequence++;
            udp_send(&clients[i], now);
        }
    }
}

static int udp_open(struct client *client) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&target, sizeof target) < 0) {
        if (fd >= 0) close(fd);
        count_error(E_CONNECT);
        return 0;
    }
    client->fd = fd;
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = client};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0) {
        close(fd);
        client->fd = -1;
        count_error(E_OTHER);
        return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Command line and report */

static void usage(const char *problem) {
    fprintf(stderr, "loadgen: %s\n", problem);
    fprintf(stderr, "usage: loadgen pingpong|pipeline|connrate|udp|idle --target tcp://HOST:PORT|udp://HOST:PORT "
                    "[-c N] [-s BYTES] [-p P] [-d SECONDS] [--warmup SECONDS] [-n MESSAGES] [--json]\n");
    exit(2);
}

static long whole(const char *name, const char *value, long low, long high) {
    char *end;
    errno = 0;
    long parsed = value ? strtol(value, &end, 10) : 0;
    if (value == NULL || *value == '\0' || *end != '\0' || errno != 0 || parsed < low || parsed > high) {
        char message[160];
        snprintf(message, sizeof message, "%s: '%s' is not a whole number from %ld to %ld", name, value ? value : "",
                 low, high);
        usage(message);
    }
    return parsed;
}

static double seconds_value(const char *name, const char *value, int allow_zero) {
    char *end;
    double parsed = value ? strtod(value, &end) : -1;
    if (value == NULL || *value == '\0' || *end != '\0' || parsed < 0 || (!allow_zero && parsed == 0) ||
        parsed > 86400) {
        char message[160];
        snprintf(message, sizeof message, "%s: '%s' is not a number of seconds", name, value ? value : "");
        usage(message);
    }
    return parsed;
}

static void parse_target(const char *value) {
    const char *scheme = mode == UDP ? "udp://" : "tcp://";
    if (value == NULL || strncmp(value, scheme, 6) != 0) {
        char message[320];
        snprintf(message, sizeof message, "--target '%s': %s mode needs %sHOST:PORT", value ? value : "",
                 mode_names[mode], scheme);
        usage(message);
    }
    snprintf(target_text, sizeof target_text, "%s", value);
    char host[64];
    const char *colon = strrchr(value + 6, ':');
    size_t host_length = colon ? (size_t)(colon - (value + 6)) : 0;
    if (colon == NULL || host_length == 0 || host_length >= sizeof host) usage("--target: expected HOST:PORT");
    memcpy(host, value + 6, host_length);
    host[host_length] = '\0';
    target.sin_family = AF_INET;
    target.sin_port = htons((unsigned short)whole("--target port", colon + 1, 1, 65535));
    if (inet_pton(AF_INET, host, &target.sin_addr) != 1) usage("--target: HOST must be an IPv4 address");
}

static void parse_arguments(int argc, char **argv) {
    if (argc < 2) usage("a mode is needed");
    int found = 0;
    for (int m = 0; m <= IDLE; m++) {
        if (strcmp(argv[1], mode_names[m]) == 0) {
            mode = (enum mode)m;
            found = 1;
        }
    }
    if (!found) usage("the mode must be pingpong, pipeline, connrate, udp or idle");
    const char *target_value = NULL;
    for (int i = 2; i < argc; i++) {
        const char *option = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(option, "--json") == 0) {
            json = 1;
            continue;
        }
        if (value == NULL) usage("an option is missing its value");
        i++;
        if (strcmp(option, "--target") == 0) target_value = value;
        else if (strcmp(option, "-c") == 0 || strcmp(option, "--connections") == 0)
            connections = (int)whole(option, value, 1, 1000000);
        else if (strcmp(option, "-s") == 0 || strcmp(option, "--size") == 0)
            size = (int)whole(option, value, 1, 16 * 1024 * 1024);
        else if (strcmp(option, "-p") == 0 || strcmp(option, "--pipeline") == 0)
            depth = (int)whole(option, value, 1, 1 << 20);
        else if (strcmp(option, "-d") == 0 || strcmp(option, "--duration") == 0)
            duration = seconds_value(option, value, 0);
        else if (strcmp(option, "--warmup") == 0)
            warmup = seconds_value(option, value, 1);
        else if (strcmp(option, "-n") == 0 || strcmp(option, "--max-messages") == 0)
            max_messages = (uint64_t)whole(option, value, 1, 2000000000L);
        else {
            char message[160];
            snprintf(message, sizeof message, "unknown option '%s'", option);
            usage(message);
        }
    }
    parse_target(target_value);
    if (connections < 0) connections = mode == CONNRATE ? 16 : 64;
    if (mode == UDP && size > 65507) usage("-s must be at most 65507 in udp mode");
    if (mode == PIPELINE && (long)size * depth > 16L * 1024 * 1024) usage("-s times -p must be at most 16 MiB");
}

static void report(double seconds, double cpu, int opened, int open) {
    uint64_t total = 0;
    for (int i = 0; i < BUCKETS; i++) total += histogram[i];
    uint64_t all = 0;
    for (int kind = 0; kind < E_KINDS; kind++) all += errors[kind];
    double rate = seconds > 0 ? (double)messages / seconds : 0;
    double mib = seconds > 0 ? (double)payload_bytes / seconds / (1024.0 * 1024.0) : 0;
    int max_index = 0;
    for (int i = 0; i < BUCKETS; i++)
        if (histogram[i]) max_index = i;
    double p50 = percentile_us(50, total), p90 = percentile_us(90, total), p99 = percentile_us(99, total);
    double p999 = percentile_us(99.9, total), max = total ? bucket_high_us(max_index) : 0;
    if (json) {
        printf("{\"mode\":\"%s\",\"target\":\"%s\",\"connections\":%d,\"size\":%d,\"pipeline\":%d,"
               "\"warmupSeconds\":%g,\"seconds\":%.3f,\"messages\":%llu,\"messagesPerSecond\":%.1f,"
               "\"mibPerSecond\":%.3f,\"errors\":{\"total\":%llu,\"connect\":%llu,\"reset\":%llu,\"mismatch\":%llu,"
               "\"timeout\":%llu,\"other\":%llu},\"latencyMicroseconds\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,"
               "\"p999\":%.3f,\"max\":%.3f},\"cpuSeconds\":%.3f,\"cpuPercent\":%.1f,",
               mode_names[mode], target_text, connections, size, mode == PIPELINE ? depth : 1, warmup, seconds,
               (unsigned long long)messages, rate, mib, (unsigned long long)all,
               (unsigned long long)errors[E_CONNECT], (unsigned long long)errors[E_RESET],
               (unsigned long long)errors[E_MISMATCH], (unsigned long long)errors[E_TIMEOUT],
               (unsigned long long)errors[E_OTHER], p50, p90, p99, p999, max, cpu,
               seconds > 0 ? cpu * 100 / seconds : 0);
        if (mode == IDLE) printf("\"idle\":{\"opened\":%d,\"open\":%d},", opened, open);
        printf("\"timeSeries\":[],\"generator\":\"c\"}\n");
    } else {
        printf("target      %s %s, %d %s, %d-byte messages", mode_names[mode], target_text, connections,
               mode == CONNRATE ? "workers" : mode == UDP ? "sockets" : "connections", size);
        if (mode == PIPELINE) printf(", %d in flight each", depth);
        printf("\nmeasured    %.3f s after %g s of warm-up\n", seconds, warmup);
        printf("%-12s%llu (%.1f/s)\n", mode == CONNRATE ? "connections" : "messages", (unsigned long long)messages,
               rate);
        printf("throughput  %.3f MiB/s of payload each way\n", mib);
        printf("errors      %llu (connect %llu, reset %llu, mismatch %llu, timeout %llu, other %llu)\n",
               (unsigned long long)all, (unsigned long long)errors[E_CONNECT], (unsigned long long)errors[E_RESET],
               (unsigned long long)errors[E_MISMATCH], (unsigned long long)errors[E_TIMEOUT],
               (unsigned long long)errors[E_OTHER]);
        printf("latency us  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n", p50, p90, p99, p999, max);
        printf("cpu         %.1f%% of one core (%.3f s of processor time)\n", seconds > 0 ? cpu * 100 / seconds : 0,
               cpu);
        if (mode == IDLE) printf("idle        %d of %d opened connections stayed open\n", open, opened);
    }
    fflush(stdout);
}

int main(int argc, char **argv) {
    parse_arguments(argc, argv);
    struct sigaction action = {0};
    action.sa_handler = on_signal;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    signal(SIGPIPE, SIG_IGN);

    max_chunk = mode == PIPELINE ? size * depth : size;
    build_pattern();
    long in_flight = mode == PIPELINE ? (long)size * depth : size;
    /* One byte more than can be in flight (up to 64 KiB): a read that does not fill it drained the socket. */
    read_capacity = (size_t)(in_flight < MAX_READ ? in_flight : MAX_READ) + 1;
    read_buffer = malloc(read_capacity);
    struct client *clients = calloc((size_t)connections, sizeof *clients);
    int64_t *stamps = mode == PIPELINE ? calloc((size_t)connections * (size_t)depth, sizeof *stamps) : NULL;
    if (read_buffer == NULL || clients == NULL || (mode == PIPELINE && stamps == NULL)) {
        perror("malloc");
        return 1;
    }
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) {
        perror("epoll_create1");
        return 1;
    }

    int64_t started = now_ns();
    int64_t warmup_end = started + (int64_t)(warmup * 1e9);
    int64_t end = INT64_MAX;
    double cpu_from = 0;
    if (warmup <= 0) {
        measure_from = started;
        end = started + (int64_t)(duration * 1e9);
        cpu_from = cpu_now();
    }

    for (int i = 0; i < connections; i++) {
        struct client *client = &clients[i];
        client->fd = -1;
        client->id = i;
        client->seed = (uint32_t)((uint32_t)i * 40503u % PERIOD);
        client->sent_at = stamps ? stamps + (size_t)i * (size_t)depth : NULL;
        if (mode == UDP) {
            if (udp_open(client)) {
            live++;
            udp_send(client, now_ns());
        }
        } else {
            live++;
            stream_connect(client);
        }
    }

    struct epoll_event events[MAX_EVENTS];
    int64_t now = now_ns();
    int64_t next_udp_check = now + 100000000LL;
    while (!stopping && now < end && live > 0) {
        int64_t deadline = measure_from == INT64_MAX ? warmup_end : end;
        int64_t wait_ns = deadline - now;
        if (mode == UDP && next_udp_check - now < wait_ns) wait_ns = next_udp_check - now;
        int timeout = wait_ns <= 0 || retries > 0 ? 0 : (int)((wait_ns + 999999) / 1000000);
        if (timeout > 100) timeout = 100;
        int count = epoll_wait(epoll_fd, events, MAX_EVENTS, timeout);
        if (count < 0 && errno != EINTR) {
            perror("epoll_wait");
            break;
        }
        for (int i = 0; i < count; i++) {
            struct client *client = events[i].data.ptr;
            if (mode == UDP) udp_events(client);
            else stream_events(client, events[i].events);
        }
        if (retries > 0) {
            retries = 0;
            for (int i = 0; i < connections; i++) {
                if (clients[i].retry) {
                    clients[i].retry = 0;
                    stream_connect(&clients[i]);
                }
            }
        }
        now = now_ns();
        if (mode == UDP && now >= next_udp_check) {
            udp_timeouts(clients, connections, now);
            next_udp_check = now + 100000000LL;
        }
        if (measure_from == INT64_MAX && now >= warmup_end) {
            measure_from = now;
            cpu_from = cpu_now();
            end = now + (int64_t)(duration * 1e9);
        }
    }
    int64_t measured_to = now_ns();
    double cpu = cpu_now() - cpu_from;
    if (measure_from == INT64_MAX) {
        /* stopped during the warm-up: nothing was measured */
        measure_from = measured_to;
        cpu = 0;
    }
    double seconds = (double)(measured_to - measure_from) / 1e9;

    int opened = 0, open = 0;
    for (int i = 0; i < connections; i++) {
        if (mode == IDLE && clients[i].opened) {
            opened++;
            if (clients[i].fd >= 0) open++;
        }
        if (clients[i].fd >= 0) close(clients[i].fd);
    }
    report(seconds, cpu, opened, open);

    uint64_t all = 0;
    for (int kind = 0; kind < E_KINDS; kind++) all += errors[kind];
    if (errors[E_MISMATCH] > 0) {
        fprintf(stderr, "loadgen: the replies from %s did not match what was sent (%llu mismatched); is it an echo "
                        "server?\n", target_text, (unsigned long long)errors[E_MISMATCH]);
        return 5;
    }
    if (all > 0) return 4;
    if (round_trips == 0) {
        fprintf(stderr, "loadgen: nothing came back from %s: not one message made the round trip\n", target_text);
        return 5;
    }
    return 0;
}
