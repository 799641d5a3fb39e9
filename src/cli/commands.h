/* Sub-commands of the sluice binary; each returns the process exit code. */
#ifndef SL_COMMANDS_H
#define SL_COMMANDS_H

int sl_cmd_run(int argc, char **argv);
int sl_cmd_test(int argc, char **argv);
int sl_cmd_check(int argc, char **argv);
int sl_cmd_explain(int argc, char **argv);
int sl_cmd_demo(int argc, char **argv);

#endif
