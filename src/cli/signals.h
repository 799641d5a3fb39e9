/* The stop and hangup flags: the only global mutable state, set by the
 * SIGTERM/SIGINT and SIGHUP handlers and read by the worker loops. */
#ifndef SL_SIGNALS_H
#define SL_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t sl_stop_requested;
extern volatile sig_atomic_t sl_hangup_requested;
void sl_install_stop_handlers(void);

#endif
