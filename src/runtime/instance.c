/* Instance identity and state directory lock (see instance.h). The id file
 * is written to a temporary name and renamed, so a crash never leaves half
 * an id behind. */
#include "runtime/instance.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

static bool make_dirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0755) && errno != EEXIST)
                return false;
            *p = '/';
        }
    return !mkdir(buf, 0755) || errno == EEXIST;
}

static bool valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 8 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static bool read_id(const char *path, char *out, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = fgets(out, (int)n, f) != NULL;
    fclose(f);
    if (!ok)
        return false;
    out[strcspn(out, "\r\n")] = 0;
    return valid_id(out);
}

static bool new_id(char *out, size_t n)
{
    unsigned char r[8];
    FILE *f = fopen("/dev/urandom", "rb");
    bool ok = f && fread(r, 1, sizeof r, f) == sizeof r;
    if (f)
        fclose(f);
    if (!ok)
        return false;
    for (size_t i = 0; i < sizeof r && 2 * i + 2 < n; i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
    return true;
}

bool sl_instance_open(sl_instance *inst, const char *state_dir, const char *app)
{
    inst->lock_fd = -1;
    inst->id[0] = 0;
    snprintf(inst->dir, sizeof inst->dir, "%s/%s", state_dir, app);
    if (!make_dirs(inst->dir)) {
        sl_log_error("state", "state.dir: cannot create %s: %s", inst->dir, strerror(errno));
        return false;
    }
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/.lock", inst->dir);
    inst->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (inst->lock_fd < 0 || flock(inst->lock_fd, LOCK_EX | LOCK_NB)) {
        sl_log_error("state", "state.dir: %s is in use by another running instance of '%s' (each instance needs "
                              "its own state.dir)", inst->dir, app);
        sl_instance_close(inst);
        return false;
    }
    snprintf(path, sizeof path, "%s/instance.id", inst->dir);
    if (read_id(path, inst->id, sizeof inst->id))
        return true;
    if (!new_id(inst->id, sizeof inst->id)) {
        sl_log_error("state", "cannot read /dev/urandom for an instance id");
        sl_instance_close(inst);
        return false;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    bool ok = f && fprintf(f, "%s\n", inst->id) > 0;
    if (f)
        ok &= !fclose(f);
    if (!ok || rename(tmp, path)) {
        sl_log_error("state", "state.dir: cannot write %s: %s", path, strerror(errno));
        sl_instance_close(inst);
        return false;
    }
    sl_info("state", "new instance id %s in %s", inst->id, inst->dir);
    return true;
}

void sl_instance_close(sl_instance *inst)
{
    if (inst->lock_fd >= 0)
        close(inst->lock_fd); /* releases the lock */
    inst->lock_fd = -1;
}
