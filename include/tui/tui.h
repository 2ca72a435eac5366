/*
 * tui.h - the ncurses front end: a wizard on first run (no model yet), a
 * manager afterwards.  The TUI draws and asks; every action is a call into
 * the core (model, apply, render, check), never file or DNS access of its own.
 */
#ifndef DK_TUI_TUI_H
#define DK_TUI_TUI_H

#include <stdbool.h>

#include "util/path.h"

typedef struct dk_tui_opts {
    const dk_root *root;
    const char *config;    /* system path of the model */
    const char *templates; /* templates directory */
    const char *resolver;  /* HOST[@PORT] or NULL */
    bool color;
} dk_tui_opts;

/* Run the interface until the user quits; returns a process exit code.
 * The terminal is always restored, also on errors. */
int dk_tui_run(const dk_tui_opts *o);

#endif
