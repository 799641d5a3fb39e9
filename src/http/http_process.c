/* The process's own numbers, as Prometheus' client libraries export them
 * (process_cpu_seconds_total, process_resident_memory_bytes, ...), read
 * from Linux's /proc on each request: a few small reads, no state kept.
 * Where /proc is missing the numbers are left out rather than made up. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "http/http_pages_int.h"

/* btime: the boot time, epoch seconds (starttime in /proc/self/stat is
 * counted in clock ticks from boot) */
static bool boot_time(int64_t *out)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return false;
    char line[256];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = sscanf(line, "btime %lld", (long long *)out) == 1;
    fclose(f);
    return found;
}

void sl_process_stats_read(sl_process_stats *out)
{
    memset(out, 0, sizeof *out);
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* the command name (field 2) is in parentheses and may hold spaces:
     * the fields after it start after the last ')' */
    char *p = strrchr(buf, ')');
    if (!p)
        return;
    unsigned long long utime, stime, starttime, vsize;
    long long rss;
    long threads;
    /* fields 3 (state) to 24 (rss) */
    if (sscanf(p + 2,
               "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %ld %*d %llu %llu %lld",
               &utime, &stime, &threads, &starttime, &vsize, &rss) != 6)
        return;
    long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    if (ticks <= 0 || page <= 0)
        return;
    int64_t btime;
    out->cpu_seconds = (double)(utime + stime) / (double)ticks;
    out->resident_bytes = rss * page;
    out->virtual_bytes = (int64_t)vsize;
    out->threads = (int)threads;
    if (boot_time(&btime))
        out->start_time_seconds = (double)btime + (double)starttime / (double)ticks;
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        struct dirent *e;
        int64_t fds = 0;
        while ((e = readdir(d)))
            fds += e->d_name[0] != '.';
        closedir(d);
        out->open_fds = fds - 1; /* the directory stream's own */
    }
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl))
        out->max_fds = rl.rlim_cur == RLIM_INFINITY ? -1 : (int64_t)rl.rlim_cur;
    out->ok = true;
}
