/*
 * A lean NUT protocol load client, so that the server's cost is what gets measured.
 * Compiled at bench time (cc -O2). Answers must be one line each (GET VAR, GET TYPE, ...).
 *
 *   upsd-lean lat  <port> <requests> <line> [server-pid]
 *       one connection (TCP_NODELAY), one request at a time; prints the median and p99
 *       round trip in microseconds.
 *   upsd-lean load <port> <connections> <requests-each> <line> [server-pid]
 *       opens every connection first (one at a time, each answered once, so a short listen
 *       backlog drops nothing), then all of them send at once, each its next request as soon
 *       as its answer is complete (epoll, one thread); prints requests per second.
 *
 * Both print one line of key=value pairs: p50_us p99_us rps requests seconds, the server's
 * CPU over the timed part (server_cpu_ticks from /proc/<pid>/stat utime+stime, server_cpu_ns
 * from the schedstat of all its threads), and this client's own CPU (client_cpu_ns).
 * A wrong answer (not starting with the expected first word) is an error: exit 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static double self_cpu_ns(void) {
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e9 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e3;
}

static long long stat_ticks(int pid) {
	char path[64], buf[2048];
	if (pid <= 0) return -1;
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f) return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p) return -1;
	/* after ") ": state(3) ... utime(14) stime(15) */
	long long utime = 0, stime = 0;
	int field = 3;
	for (char *tok = strtok(p + 2, " "); tok; tok = strtok(NULL, " "), field++) {
		if (field == 14) utime = atoll(tok);
		if (field == 15) { stime = atoll(tok); break; }
	}
	return utime + stime;
}

static long long sched_ns(int pid) {
	char path[64], buf[256];
	if (pid <= 0) return -1;
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d) return -1;
	long long total = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.') continue;
		snprintf(path, sizeof path, "/proc/%d/task/%s/schedstat", pid, e->d_name);
		FILE *f = fopen(path, "r");
		if (!f) continue;
		if (fgets(buf, sizeof buf, f)) total += atoll(buf);
		fclose(f);
	}
	closedir(d);
	return total;
}

static int open_conn(int port) {
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) { perror("socket"); exit(2); }
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { perror("connect"); exit(2); }
	return fd;
}

static const char *expect;
static size_t expect_len;

static void check(const char *answer, size_t len) {
	if (len < expect_len || memcmp(answer, expect, expect_len) != 0) {
		fprintf(stderr, "unexpected answer: %.*s\n", (int)(len > 200 ? 200 : len), answer);
		exit(1);
	}
}

/* Blocking: send one request, read until the answer's newline. */
static void roundtrip(int fd, const char *req, size_t req_len) {
	char buf[1024];
	size_t have = 0;
	if (write(fd, req, req_len) != (ssize_t)req_len) { perror("write"); exit(2); }
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof buf - have);
		if (n <= 0) { fprintf(stderr, "connection closed\n"); exit(2); }
		have += (size_t)n;
		if (buf[have - 1] == '\n') break;
		if (have == sizeof buf) { fprintf(stderr, "answer too long\n"); exit(2); }
	}
	check(buf, have);
}

static int cmp_double(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p) {
	if (!n) return 0;
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i];
}

struct conn {
	int fd;
	int left;
	size_t have;
	double sent;
	char buf[1024];
};

int main(int argc, char **argv) {
	if (argc < 5) {
		fprintf(stderr, "usage: %s lat <port> <requests> <line> [pid] | load <port> <conns> <each> <line> [pid]\n", argv[0]);
		return 2;
	}
	int lat = !strcmp(argv[1], "lat");
	int port = atoi(argv[2]);
	int conns = lat ? 1 : atoi(argv[3]);
	int each = lat ? atoi(argv[3]) : atoi(argv[4]);
	const char *line = argv[lat ? 4 : 5];
	int pid = argc > (lat ? 5 : 6) ? atoi(argv[lat ? 5 : 6]) : 0;

	char req[600];
	int req_len = snprintf(req, sizeof req, "%s\n", line);
	/* the answer starts with VAR for GET VAR, TYPE for GET TYPE, ... */
	const char *sp = strchr(line, ' ');
	static char first[32];
	if (sp) {
		const char *w = sp + 1;
		size_t k = strcspn(w, " ");
		if (k >= sizeof first - 1) k = sizeof first - 2;
		memcpy(first, w, k);
		first[k] = ' ';
		expect = first;
		expect_len = k + 1;
	} else {
		expect = "";
		expect_len = 0;
	}

	size_t total = (size_t)conns * (size_t)each;
	double *rtt = malloc(total * sizeof *rtt);
	struct conn *c = calloc((size_t)conns, sizeof *c);
	if (!rtt || !c) return 2;
	for (int i = 0; i < conns; i++) {
		c[i].fd = open_conn(port);
		c[i].left = each;
		roundtrip(c[i].fd, req, (size_t)req_len); /* accepted and answering */
	}

	size_t done = 0;
	long long t0_ticks = stat_ticks(pid), t0_sched = sched_ns(pid);
	double cpu0 = self_cpu_ns();
	double t0 = now_ns();
	if (lat) {
		for (int i = 0; i < each; i++) {
			double s = now_ns();
			roundtrip(c[0].fd, req, (size_t)req_len);
			rtt[done++] = now_ns() - s;
		}
	} else {
		int ep = epoll_create1(0);
		for (int i = 0; i < conns; i++) {
			struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (unsigned)i };
			epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
		}
		for (int i = 0; i < conns; i++) {
			c[i].sent = now_ns();
			if (write(c[i].fd, req, (size_t)req_len) != req_len) { perror("write"); return 2; }
		}
		int open = conns;
		struct epoll_event evs[256];
		while (open > 0) {
			int n = epoll_wait(ep, evs, 256, 30000);
			if (n <= 0) { fprintf(stderr, "timeout with %d connections waiting\n", open); return 2; }
			for (int k = 0; k < n; k++) {
				struct conn *x = &c[evs[k].data.u32];
				ssize_t r = read(x->fd, x->buf + x->have, sizeof x->buf - x->have);
				if (r <= 0) { fprintf(stderr, "connection closed\n"); return 2; }
				x->have += (size_t)r;
				if (x->buf[x->have - 1] != '\n') {
					if (x->have == sizeof x->buf) { fprintf(stderr, "answer too long\n"); return 2; }
					continue;
				}
				check(x->buf, x->have);
				double e = now_ns();
				rtt[done++] = e - x->sent;
				x->have = 0;
				if (--x->left > 0) {
					x->sent = e;
					if (write(x->fd, req, (size_t)req_len) != req_len) { perror("write"); return 2; }
				} else {
					epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
					open--;
				}
			}
		}
		close(ep);
	}
	double t1 = now_ns();
	double cpu1 = self_cpu_ns();
	long long t1_ticks = stat_ticks(pid), t1_sched = sched_ns(pid);
	for (int i = 0; i < conns; i++) close(c[i].fd);

	qsort(rtt, done, sizeof *rtt, cmp_double);
	double secs = (t1 - t0) / 1e9;
	printf("p50_us=%.3f p99_us=%.3f rps=%.1f requests=%zu seconds=%.4f server_cpu_ticks=%lld server_cpu_ns=%lld client_cpu_ns=%.0f ticks_per_s=%ld\n",
	       pct(rtt, done, 50) / 1e3, pct(rtt, done, 99) / 1e3, (double)done / secs, done, secs,
	       pid > 0 ? t1_ticks - t0_ticks : -1, pid > 0 ? t1_sched - t0_sched : -1, cpu1 - cpu0, sysconf(_SC_CLK_TCK));
	return 0;
}
