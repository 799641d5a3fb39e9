#!/usr/bin/env bash
# Restore while the changelog's last transaction is still open (see
# restore_pending.c): it waits, and holds every change after a commit and
# none after an abort.
source "$(dirname "$0")/common.sh"
"$(dirname "$SLUICE")/tests/restore_pending" "$BOOTSTRAP"
