/* widgets.c - input field, menu and message screen.  Each returns what
 * happened; a resize makes the caller's draw function repaint. */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "ui.h"
#include "util/i18n.h"

#define CTRL(c)   ((c)&0x1f)
#define FIELD_MAX 256

static bool is_quit(int rc, wint_t wc)
{
    return rc == OK && wc == (wint_t)CTRL('c');
}

static bool is_escape(int rc, wint_t wc)
{
    return rc == OK && wc == 27;
}

static void draw_field(ui *u, int y, int x, int width, const wchar_t *w, size_t len, size_t cur)
{
    size_t start = 0;
    int col = 0;

    /* scroll so the cursor is visible */
    while (start < cur) {
        int cw = 0;
        for (size_t i = start; i < cur; i++)
            cw += wcwidth(w[i]) > 0 ? wcwidth(w[i]) : 0;
        if (cw < width)
            break;
        start++;
    }
    (void)attron(u->attr[UI_FIELD]);
    (void)mvhline(y, x, ' ', width);
    (void)move(y, x);
    for (size_t i = start; i < len; i++) {
        int cw = wcwidth(w[i]);
        if (cw < 0)
            cw = 0;
        if (col + cw > width)
            break;
        (void)addnwstr(&w[i], 1);
        col += cw;
    }
    (void)attroff(u->attr[UI_FIELD]);
    col = 0;
    for (size_t i = start; i < cur; i++)
        col += wcwidth(w[i]) > 0 ? wcwidth(w[i]) : 0;
    (void)move(y, x + col);
}

enum ui_result ui_input(ui *u, int y, int x, int width, char *buf, size_t size, ui_check_fn check,
                        ui_draw_fn draw, void *ctx)
{
    wchar_t w[FIELD_MAX + 1];
    size_t len, cur;
    char msg[256] = "";

    len = mbstowcs(w, buf, FIELD_MAX);
    if (len == (size_t)-1)
        len = 0;
    w[len] = L'\0';
    cur = len;
    (void)curs_set(1);
    for (;;) {
        wint_t wc;
        int rc;

        draw(u, ctx);
        if (COLS >= UI_MIN_COLS && LINES >= UI_MIN_ROWS) {
            int fw = width < COLS - x - 1 ? width : COLS - x - 1;
            if (msg[0] != '\0')
                ui_text(u, y + 2, x, COLS - x - 1, UI_ERROR, true, msg);
            draw_field(u, y, x, fw, w, len, cur);
        }
        rc = ui_key(u, &wc);
        if (is_quit(rc, wc)) {
            (void)curs_set(0);
            return UI_QUIT;
        }
        if (is_escape(rc, wc)) {
            (void)curs_set(0);
            return UI_BACK;
        }
        if (rc == KEY_CODE_YES) {
            switch (wc) {
            case KEY_LEFT:
                if (cur > 0)
                    cur--;
                break;
            case KEY_RIGHT:
                if (cur < len)
                    cur++;
                break;
            case KEY_HOME:
                cur = 0;
                break;
            case KEY_END:
                cur = len;
                break;
            case KEY_BACKSPACE:
                if (cur > 0) {
                    memmove(&w[cur - 1], &w[cur], (len - cur + 1) * sizeof *w);
                    cur--;
                    len--;
                }
                break;
            case KEY_DC:
                if (cur < len) {
                    memmove(&w[cur], &w[cur + 1], (len - cur) * sizeof *w);
                    len--;
                }
                break;
            case KEY_ENTER:
                goto enter;
            default: /* KEY_RESIZE and others: redraw */
                break;
            }
            continue;
        }
        if (wc == L'\r' || wc == L'\n')
            goto enter;
        if (wc == 127 || wc == 8) {
            if (cur > 0) {
                memmove(&w[cur - 1], &w[cur], (len - cur + 1) * sizeof *w);
                cur--;
                len--;
            }
            continue;
        }
        if (wc == (wint_t)CTRL('u')) {
            len = cur = 0;
            w[0] = L'\0';
            continue;
        }
        if (!iswprint((wint_t)wc) || len >= FIELD_MAX)
            continue;
        memmove(&w[cur + 1], &w[cur], (len - cur + 1) * sizeof *w);
        w[cur++] = (wchar_t)wc;
        len++;
        continue;
    enter : {
        char tmp[FIELD_MAX * 4 + 1];
        size_t n = wcstombs(tmp, w, sizeof tmp);

        if (n == (size_t)-1 || n >= size) {
            snprintf(msg, sizeof msg, "%s", _("The value is too long."));
            continue;
        }
        msg[0] = '\0';
        if (check != NULL && check(ctx, tmp, msg, sizeof msg) != NULL)
            continue;
        memcpy(buf, tmp, n + 1);
        (void)curs_set(0);
        return UI_OK;
    }
    }
}

enum ui_result ui_menu(ui *u, int y, int x, const char *const *items, size_t n, size_t *sel,
                       ui_draw_fn draw, void *ctx)
{
    (void)curs_set(0);
    for (;;) {
        wint_t wc;
        int rc;

        draw(u, ctx);
        if (COLS >= UI_MIN_COLS && LINES >= UI_MIN_ROWS)
            for (size_t i = 0; i < n && y + (int)i < LINES - 1; i++) {
                enum ui_role role = i == *sel ? UI_SELECTED : UI_NORMAL;
                ui_text(u, y + (int)i, x, COLS - x - 1, role, false, items[i]);
            }
        rc = ui_key(u, &wc);
        if (is_quit(rc, wc) || (rc == OK && (wc == L'q' || wc == L'Q')))
            return UI_QUIT;
        if (is_escape(rc, wc))
            return UI_BACK;
        if (rc == KEY_CODE_YES) {
            if (wc == KEY_UP && *sel > 0)
                (*sel)--;
            else if (wc == KEY_DOWN && *sel + 1 < n)
                (*sel)++;
            else if (wc == KEY_ENTER)
                return UI_OK;
            continue;
        }
        if (wc == L'\r' || wc == L'\n')
            return UI_OK;
        if (wc == L'k' && *sel > 0)
            (*sel)--;
        else if (wc == L'j' && *sel + 1 < n)
            (*sel)++;
        else if (wc >= L'1' && wc <= L'9' && (size_t)(wc - L'1') < n) {
            *sel = (size_t)(wc - L'1');
            return UI_OK;
        }
    }
}

struct msgctx {
    const char *title, *body, *help;
};

static void draw_message(ui *u, void *p)
{
    const struct msgctx *m = p;

    if (ui_frame(u, m->title, m->help))
        ui_text(u, 2, 2, COLS - 4, UI_NORMAL, true, m->body);
}

enum ui_result ui_message(ui *u, const char *title, const char *body, const char *help)
{
    struct msgctx m = {title, body, help};

    (void)curs_set(0);
    for (;;) {
        wint_t wc;
        int rc;

        draw_message(u, &m);
        rc = ui_key(u, &wc);
        if (is_quit(rc, wc) || (rc == OK && (wc == L'q' || wc == L'Q')))
            return UI_QUIT;
        if (is_escape(rc, wc))
            return UI_BACK;
        if ((rc == OK && (wc == L'\r' || wc == L'\n')) || (rc == KEY_CODE_YES && wc == KEY_ENTER))
            return UI_OK;
    }
}

enum ui_result ui_view(ui *u, const char *title, const char *text)
{
    size_t nlines = 1, top = 0;

    for (const char *p = text; *p != '\0'; p++)
        nlines += *p == '\n';
    (void)curs_set(0);
    for (;;) {
        size_t page = LINES > 4 ? (size_t)LINES - 4 : 1;
        const char *p = text;
        wint_t wc;
        int rc;

        if (ui_frame(u, title, _("Up/Down/PgUp/PgDn: scroll   Enter/q: back"))) {
            for (size_t i = 0; i < top && p != NULL; i++) {
                p = strchr(p, '\n');
                if (p != NULL)
                    p++;
            }
            for (int y = 2; p != NULL && *p != '\0' && y < LINES - 1;) {
                const char *nl = strchr(p, '\n');
                char line[1024];
                size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);

                if (n >= sizeof line)
                    n = sizeof line - 1;
                memcpy(line, p, n);
                line[n] = '\0';
                /* long lines wrap rather than lose their end */
                y += line[0] != '\0' ? ui_text(u, y, 2, COLS - 4, UI_NORMAL, true, line) : 1;
                p = nl != NULL ? nl + 1 : NULL;
            }
        }
        rc = ui_key(u, &wc);
        if (is_quit(rc, wc))
            return UI_QUIT;
        if (rc == OK && (wc == L'q' || wc == L'Q' || wc == 27 || wc == L'\r' || wc == L'\n'))
            return UI_OK;
        if (rc != KEY_CODE_YES)
            continue;
        if (wc == KEY_ENTER)
            return UI_OK;
        if (wc == KEY_DOWN && top + 1 < nlines)
            top++;
        else if (wc == KEY_UP && top > 0)
            top--;
        else if (wc == KEY_NPAGE)
            top = top + page < nlines ? top + page : top;
        else if (wc == KEY_PPAGE)
            top = top > page ? top - page : 0;
        else if (wc == KEY_HOME)
            top = 0;
        else if (wc == KEY_END)
            top = nlines > page ? nlines - page : 0;
    }
}
