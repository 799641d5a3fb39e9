/* Signal handlers only set a flag; the worker finishes its batch. */
#include "cli/signals.h"

#include <string.h>

volatile sig_atomic_t sl_stop_requested = 0;
volatile sig_atomic_t sl_hangup_requested = 0;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        sl_hangup_requested = 1;
    else
        sl_stop_requested = 1;
}

void sl_install_stop_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* a terminal closing or an operator's reload signal must not kill the
     * service without a commit: the driver answers it between batches */
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
