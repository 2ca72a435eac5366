/*
 * i18n.h - message translation for the front ends (gettext, text domain
 * "dkimctl").  _() marks and translates, N_() only marks.  Translated text
 * can be wider or narrower than the English: measure it with the TUI's
 * width function, never with strlen().
 */
#ifndef DK_UTIL_I18N_H
#define DK_UTIL_I18N_H

#include <libintl.h>

#define DK_TEXTDOMAIN "dkimctl"
#define _(s)          gettext(s)
#define N_(s)         (s)

#endif
