/* The identity of one running instance of an application, as Kafka Streams'
 * process id: a random id kept in "<state.dir>/<application.id>/instance.id",
 * so that a restarted instance gets the same transactional ids and fences
 * its previous self at once, while two instances never share one. The
 * directory is locked while the instance runs: a second process pointed at
 * the same state.dir is refused instead of fencing the first. */
#ifndef SL_INSTANCE_H
#define SL_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sl_instance {
    char id[40];
    char dir[4096]; /* "<state.dir>/<application.id>" */
    int lock_fd;    /* -1 when not locked */
} sl_instance;

/* Returns false with a message logged when the directory cannot be used
 * (not creatable, or locked by another running instance). */
bool sl_instance_open(sl_instance *inst, const char *state_dir, const char *app);
void sl_instance_close(sl_instance *inst);

#endif
