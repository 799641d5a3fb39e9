/* The stop flag: the one piece of global mutable state, set by the
 * SIGTERM/SIGINT handlers and read by the worker loops. */
#ifndef SL_SIGNALS_H
#define SL_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t sl_stop_requested;
void sl_install_stop_handlers(void);

#endif
