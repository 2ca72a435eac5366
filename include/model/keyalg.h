/*
 * keyalg.h - the two kinds of DKIM key (shared by the model and the DKIM code).
 */
#ifndef DK_MODEL_KEYALG_H
#define DK_MODEL_KEYALG_H

enum dk_keyalg { DK_KEY_RSA, DK_KEY_ED25519 };

#endif
