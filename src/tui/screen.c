/* screen.c - terminal set-up, colours as data, the frame, text output. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ui.h"
#include "util/i18n.h"

static ui *active_ui; /* for the atexit guard only: curses never stays active */

static void restore_terminal(void)
{
    if (active_ui != NULL && !isendwin())
        endwin();
}

int ui_init(ui *u, const dk_tui_opts *o)
{
    static const struct {
        short fg, bg;
        attr_t mono;
    } scheme[UI_NROLES] = {
        [UI_NORMAL] = {-1, -1, A_NORMAL},
        [UI_TITLE] = {COLOR_WHITE, COLOR_BLUE, A_REVERSE},
        [UI_STATUS] = {COLOR_BLACK, COLOR_CYAN, A_REVERSE},
        [UI_FIELD] = {COLOR_WHITE, COLOR_BLACK, A_UNDERLINE},
        [UI_SELECTED] = {COLOR_BLACK, COLOR_YELLOW, A_REVERSE},
        [UI_ERROR] = {COLOR_RED, -1, A_BOLD},
        [UI_GOOD] = {COLOR_GREEN, -1, A_BOLD},
        [UI_DIM] = {COLOR_BLUE, -1, A_DIM},
    };

    memset(u, 0, sizeof *u);
    u->opts = o;
    if (initscr() == NULL)
        return -1;
    active_ui = u;
    (void)atexit(restore_terminal);
    (void)raw(); /* Ctrl-C arrives as a key: we leave cleanly */
    (void)noecho();
    (void)keypad(stdscr, TRUE);
    (void)nonl();
    u->color = o->color && has_colors() && start_color() == OK;
    if (u->color)
        (void)use_default_colors();
    for (int i = 0; i < UI_NROLES; i++) {
        if (u->color && init_pair((short)(i + 1), scheme[i].fg, scheme[i].bg) == OK)
            u->attr[i] = COLOR_PAIR(i + 1) | (i == UI_TITLE ? A_BOLD : A_NORMAL);
        else
            u->attr[i] = scheme[i].mono;
    }
    return 0;
}

void ui_end(ui *u)
{
    (void)u;
    if (!isendwin())
        endwin();
    active_ui = NULL;
}

int ui_width(const char *s)
{
    mbstate_t st;
    int w = 0;
    size_t n;
    wchar_t wc;

    memset(&st, 0, sizeof st);
    while (*s != '\0') {
        n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
        if (n == (size_t)-1 || n == (size_t)-2) {
            memset(&st, 0, sizeof st);
            s++;
            w++; /* shown as a replacement */
            continue;
        }
        if (n == 0)
            break;
        int cw = wcwidth(wc);
        w += cw > 0 ? cw : 0;
        s += n;
    }
    return w;
}

/* Print one line of at most `width` columns from s; returns bytes used. */
static size_t put_clipped(int y, int x, int width, const char *s, size_t maxbytes)
{
    mbstate_t st;
    size_t used = 0;
    int col = 0;

    memset(&st, 0, sizeof st);
    (void)move(y, x);
    while (used < maxbytes && s[used] != '\0') {
        wchar_t wc;
        size_t n = mbrtowc(&wc, s + used, maxbytes - used, &st);
        int cw;

        if (n == (size_t)-1 || n == (size_t)-2) {
            memset(&st, 0, sizeof st);
            wc = L'?';
            n = 1;
        }
        cw = wcwidth(wc);
        if (cw < 0)
            cw = 0;
        if (col + cw > width)
            break;
        (void)addnwstr(&wc, 1);
        col += cw;
        used += n;
    }
    return used;
}

int ui_text(ui *u, int y, int x, int width, enum ui_role role, bool wrap, const char *s)
{
    int lines = 0;

    (void)attron(u->attr[role]);
    while (*s != '\0' && y + lines < LINES - 1) {
        const char *nl = strchr(s, '\n');
        size_t len = nl != NULL ? (size_t)(nl - s) : strlen(s);
        size_t done = 0;

        do {
            size_t take = len - done;

            if (wrap) {
                /* take whole words that fit */
                size_t fit = 0, last_space = 0;
                int col = 0;
                while (fit < take) {
                    wchar_t wc;
                    mbstate_t st;
                    size_t n;

                    memset(&st, 0, sizeof st);
                    n = mbrtowc(&wc, s + done + fit, take - fit, &st);
                    if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
                        n = 1, wc = L'?';
                    int cw = wcwidth(wc);
                    if (col + (cw > 0 ? cw : 0) > width)
                        break;
                    col += cw > 0 ? cw : 0;
                    if (wc == L' ')
                        last_space = fit;
                    fit += n;
                }
                if (fit < take && last_space > 0)
                    fit = last_space + 1;
                take = fit;
            }
            put_clipped(y + lines, x, width, s + done, take);
            done += take == 0 ? 1 : take;
            lines++;
        } while (wrap && done < len && y + lines < LINES - 1);
        if (nl == NULL)
            break;
        s = nl + 1;
    }
    (void)attroff(u->attr[role]);
    return lines;
}

bool ui_frame(ui *u, const char *title, const char *help)
{
    (void)erase();
    if (COLS < UI_MIN_COLS || LINES < UI_MIN_ROWS) {
        (void)mvprintw(0, 0, "%s", _("Terminal too small"));
        if (LINES > 1)
            (void)mvprintw(1, 0, _("(need %dx%d)"), UI_MIN_COLS, UI_MIN_ROWS);
        (void)refresh();
        return false;
    }
    (void)attron(u->attr[UI_TITLE]);
    (void)mvhline(0, 0, ' ', COLS);
    (void)attroff(u->attr[UI_TITLE]);
    ui_text(u, 0, 1, COLS - 2, UI_TITLE, false, title);
    (void)attron(u->attr[UI_STATUS]);
    (void)mvhline(LINES - 1, 0, ' ', COLS);
    (void)attroff(u->attr[UI_STATUS]);
    (void)attron(u->attr[UI_STATUS]);
    put_clipped(LINES - 1, 1, COLS - 2, help, strlen(help));
    (void)attroff(u->attr[UI_STATUS]);
    return true;
}

int ui_key(ui *u, wint_t *wc)
{
    int rc;

    (void)u;
    (void)refresh();
    do
        rc = get_wch(wc);
    while (rc == ERR);
    return rc;
}

int dk_tui_run(const dk_tui_opts *o)
{
    ui u;
    int rc;
    struct stat st;

    if (ui_init(&u, o) < 0)
        return 2;
    if (dk_root_lstat(o->root, o->config, &st, NULL) == 0)
        rc = ui_manager(&u);
    else
        rc = ui_wizard(&u);
    ui_end(&u);
    return rc;
}
