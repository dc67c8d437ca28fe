#ifndef TLSH_REWRITE_H
#define TLSH_REWRITE_H
#endif
