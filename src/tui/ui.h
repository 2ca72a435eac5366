/* ui.h - private to src/tui: screen, colours, widgets. */
#ifndef DK_TUI_UI_H
#define DK_TUI_UI_H

#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "tui/tui.h"

#define UI_MIN_COLS 60
#define UI_MIN_ROWS 18

/* Colour pairs as data; the monochrome scheme maps each to an attribute. */
enum ui_role {
    UI_NORMAL,
    UI_TITLE,
    UI_STATUS,
    UI_FIELD,
    UI_SELECTED,
    UI_ERROR,
    UI_GOOD,
    UI_DIM,
    UI_NROLES
};

typedef struct ui {
    const dk_tui_opts *opts;
    bool color;
    attr_t attr[UI_NROLES];
} ui;

/* What a widget returns. */
enum ui_result { UI_OK, UI_BACK, UI_QUIT };

int ui_init(ui *u, const dk_tui_opts *o);
void ui_end(ui *u);

/* Clear and draw the frame: title bar, help line at the bottom.  Returns
 * false (after drawing a "terminal too small" notice) when the terminal is
 * smaller than UI_MIN_COLS x UI_MIN_ROWS. */
bool ui_frame(ui *u, const char *title, const char *help);

/* Display width of a UTF-8 string (not its byte length). */
int ui_width(const char *s);
/* Print a UTF-8 string at y,x clipped to `width` columns; returns lines used
 * (wraps at spaces when wrap is true). */
int ui_text(ui *u, int y, int x, int width, enum ui_role role, bool wrap, const char *s);

/* Wait for a key; handles KEY_RESIZE by returning it (the caller redraws). */
int ui_key(ui *u, wint_t *wc);

/* A one-line input: edits `buf` (UTF-8, size bytes).  `check` validates on
 * Enter and returns NULL or an error sentence shown under the field.
 * `draw` redraws the screen behind the field after a resize. */
typedef const char *(*ui_check_fn)(void *ctx, const char *value, char *msg, size_t msgsize);
typedef void (*ui_draw_fn)(ui *u, void *ctx);
enum ui_result ui_input(ui *u, int y, int x, int width, char *buf, size_t size, ui_check_fn check,
                        ui_draw_fn draw, void *ctx);

/* A vertical menu; *sel is the chosen index. */
enum ui_result ui_menu(ui *u, int y, int x, const char *const *items, size_t n, size_t *sel,
                       ui_draw_fn draw, void *ctx);

/* A message screen: title, body text, "press a key" help; returns
 * UI_OK (Enter), UI_BACK (Esc) or UI_QUIT (q / Ctrl-C). */
enum ui_result ui_message(ui *u, const char *title, const char *body, const char *help);

/* A scrollable read-only text view (Up/Down/PgUp/PgDn/Home/End); returns
 * when the user presses Enter, Esc or q (UI_QUIT only for Ctrl-C). */
enum ui_result ui_view(ui *u, const char *title, const char *text);

int ui_wizard(ui *u);
int ui_manager(ui *u);

#endif
