#ifndef LOUPE_CIMAGECODECS_H
#define LOUPE_CIMAGECODECS_H
#include <stddef.h>

/* Result of decoding one PNG or JPEG held in memory. Errors inside libpng
 * and libjpeg unwind with setjmp/longjmp inside this C code, which Swift
 * cannot do itself; Swift only ever sees a return code and a message. */
typedef struct {
    unsigned char *pixels;   /* malloc'd, interleaved; free with loupe_decoded_free */
    int width;
    int height;
    int channels;            /* 3 = RGB, 4 = RGBA or CMYK (see is_cmyk) */
    int is_cmyk;             /* 1: pixels are C,M,Y,K with 0 = no ink */
    int is_palette;          /* PNG colour type 3 */
    int bit_depth;           /* bits per sample in the file */
    int source_channels;     /* channels stored in the file (1 gray ... 4) */
    int has_alpha;           /* file had an alpha channel (kept in pixels) */
    char message[256];       /* error text when the call returns non-zero */
} loupe_decoded;

/* Return 0 on success. Images with more than max_pixels pixels are refused
 * after reading the header and before any pixel memory is allocated. */
int loupe_png_decode(const unsigned char *data, size_t size, long long max_pixels, loupe_decoded *out);
int loupe_jpeg_decode(const unsigned char *data, size_t size, long long max_pixels, loupe_decoded *out);
void loupe_decoded_free(loupe_decoded *image);

#endif
