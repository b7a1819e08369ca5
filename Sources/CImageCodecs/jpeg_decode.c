#include "CImageCodecs.h"
#include <stdio.h>
#include <jpeglib.h>
#include <jerror.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

/* libjpeg's default error_exit calls exit(); this one jumps back to the
 * decode call instead, with the library's own message saved. */
typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *message;
} guarded_errors;

static void on_error_exit(j_common_ptr cinfo) {
    guarded_errors *err = (guarded_errors *)cinfo->err;
    if (err->message[0] == 0) (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

/* A truncated stream is only a warning to libjpeg (it pads with grey);
 * treat it as the error it is for analysis work. */
static void on_message(j_common_ptr cinfo, int level) {
    guarded_errors *err = (guarded_errors *)cinfo->err;
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
        snprintf(err->message, 256, "the JPEG data ends early (truncated file)");
        longjmp(err->jump, 1);
    }
}

int loupe_jpeg_decode(const unsigned char *data, size_t size, long long max_pixels, loupe_decoded *out) {
    memset(out, 0, sizeof(*out));
    if (size < 3 || data[0] != 0xFF || data[1] != 0xD8) {
        snprintf(out->message, sizeof(out->message), "not a JPEG file (missing SOI marker)");
        return 1;
    }
    struct jpeg_decompress_struct cinfo;
    guarded_errors err;
    memset(&cinfo, 0, sizeof(cinfo));
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = on_error_exit;
    err.base.emit_message = on_message;
    err.message = out->message;
    unsigned char *volatile pixels = NULL;
    if (setjmp(err.jump)) {
        free(pixels);
        jpeg_destroy_decompress(&cinfo);
        if (out->message[0] == 0) snprintf(out->message, sizeof(out->message), "corrupt JPEG data");
        out->pixels = NULL;
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if ((long long)cinfo.image_width * (long long)cinfo.image_height > max_pixels) {
        snprintf(out->message, sizeof(out->message), "image is %ux%u pixels, more than the limit of %lld",
                 cinfo.image_width, cinfo.image_height, max_pixels);
        longjmp(err.jump, 1);
    }
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    out->source_channels = cinfo.num_components;
    out->bit_depth = 8;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    int channels = cinfo.output_components;
    size_t stride = (size_t)cinfo.output_width * channels;
    pixels = malloc(stride * cinfo.output_height);
    if (!pixels) {
        snprintf(out->message, sizeof(out->message), "out of memory for a %ux%u image",
                 cinfo.output_width, cinfo.output_height);
        longjmp(err.jump, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + (size_t)cinfo.output_scanline * stride;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    /* Adobe's APP14 marker means the CMYK samples are stored inverted
     * (Photoshop's convention); flip them so 0 means no ink. */
    if (cmyk && cinfo.saw_Adobe_marker) {
        size_t n = stride * cinfo.output_height;
        for (size_t i = 0; i < n; i++) pixels[i] = 255 - pixels[i];
    }
    out->width = (int)cinfo.output_width;
    out->height = (int)cinfo.output_height;
    out->channels = channels;
    out->is_cmyk = cmyk;
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    out->pixels = pixels;
    return 0;
}
