#include "CImageCodecs.h"
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t offset;
    char *message;
} png_source;

static void read_from_memory(png_structp png, png_bytep out, png_size_t length) {
    png_source *src = (png_source *)png_get_io_ptr(png);
    if (length > src->size - src->offset) {
        snprintf(src->message, 256, "the PNG data ends early (truncated file)");
        png_longjmp(png, 1);
    }
    memcpy(out, src->data + src->offset, length);
    src->offset += length;
}

static void on_error(png_structp png, png_const_charp msg) {
    png_source *src = (png_source *)png_get_io_ptr(png);
    if (src && src->message[0] == 0) snprintf(src->message, 256, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

int loupe_png_decode(const unsigned char *data, size_t size, long long max_pixels, loupe_decoded *out) {
    memset(out, 0, sizeof(*out));
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        snprintf(out->message, sizeof(out->message), "not a PNG file (bad signature)");
        return 1;
    }
    png_source src = { data, size, 0, out->message };
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, on_error, on_warning);
    if (!png) { snprintf(out->message, sizeof(out->message), "libpng could not start"); return 1; }
    png_infop info = png_create_info_struct(png);
    /* volatile: these are modified between setjmp and a possible longjmp. */
    unsigned char *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        free(pixels);
        free(rows);
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
        if (out->message[0] == 0) snprintf(out->message, sizeof(out->message), "corrupt PNG data");
        out->pixels = NULL;
        return 1;
    }
    png_set_read_fn(png, &src, read_from_memory);
    png_set_error_fn(png, &src, on_error, on_warning);
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    int color_type = png_get_color_type(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    if ((long long)width * (long long)height > max_pixels) {
        snprintf(out->message, sizeof(out->message),
                 "image is %ux%u pixels, more than the limit of %lld", width, height, max_pixels);
        png_longjmp(png, 1);
    }
    out->width = (int)width;
    out->height = (int)height;
    out->bit_depth = bit_depth;
    out->is_palette = color_type == PNG_COLOR_TYPE_PALETTE;
    out->source_channels = png_get_channels(png, info);
    out->has_alpha = (color_type & PNG_COLOR_MASK_ALPHA) != 0;

    /* Keep the high byte of 16-bit samples (what PIL does for 16-bit RGB),
     * expand palettes and low bit depths, and never apply gamma: decoders
     * used with CLIP ignore gAMA/iCCP, and so must we to match them. A tRNS
     * colour key is ignored too (PIL keeps it only as metadata). */
    if (bit_depth == 16) png_set_strip_16(png);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int channels = png_get_channels(png, info);
    if (channels != 3 && channels != 4) {
        snprintf(out->message, sizeof(out->message), "unsupported PNG layout (%d channels after expansion)", channels);
        png_longjmp(png, 1);
    }
    size_t stride = png_get_rowbytes(png, info);
    pixels = malloc(stride * height);
    rows = malloc(sizeof(png_bytep) * height);
    if (!pixels || !rows) {
        snprintf(out->message, sizeof(out->message), "out of memory for a %ux%u image", width, height);
        png_longjmp(png, 1);
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + y * stride;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    out->pixels = pixels;
    out->channels = channels;
    return 0;
}

void loupe_decoded_free(loupe_decoded *image) {
    free(image->pixels);
    image->pixels = NULL;
}
