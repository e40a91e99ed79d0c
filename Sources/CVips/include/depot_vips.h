#ifndef DEPOT_VIPS_H
#define DEPOT_VIPS_H
#include <stddef.h>
#include <stdint.h>

/// Fixed-arity wrappers over libvips's variadic API. Only plain C types and an opaque image handle cross this
/// boundary. Every function that can fail returns 0 on success and -1 on error; the error text is read with
/// depot_vips_last_error on the same thread.

typedef struct _VipsImage DepotVipsImage;

/// Starts libvips once per process (VIPS_INIT is a macro Swift cannot call). 0 on success.
int depot_vips_init(const char *argv0);
/// "8.14.1" — the version of the linked libvips.
const char *depot_vips_version(void);
/// Bounds libvips's own operation cache and its worker threads per pipeline.
void depot_vips_configure(int cache_max_ops, size_t cache_max_mem, int concurrency);
/// Reads only the header of an image file. 0 on success, -1 on error (see depot_vips_last_error).
int depot_vips_header_file(const char *path, int *width, int *height, int *bands, int *has_alpha);
/// Copies the calling thread's libvips error text into buf and clears it.
void depot_vips_last_error(char *buf, size_t len);

/// What the header says, before any pixel is decoded.
typedef struct {
    int width, height, bands, has_alpha;
    /// EXIF orientation 1–8 (1 when absent).
    int orientation;
    /// VipsInterpretation and VipsBandFormat values.
    int interpretation, band_format;
    int has_icc_profile;
    char loader[48];
} DepotVipsHeader;

/// Opens an image lazily from a file or from memory (the buffer must outlive the image). `jpeg_shrink`
/// (1, 2, 4, 8) applies to JPEG and `scale` (≤ 1) to WebP: the decoder itself makes the smaller image.
/// `sequential` asks for top-to-bottom access (no full decode kept in memory); `fail_on` is a VipsFailOn.
DepotVipsImage *depot_vips_open_file(const char *path, int jpeg_shrink, double scale, int sequential, int fail_on);
DepotVipsImage *depot_vips_open_buffer(const void *data, size_t length, int jpeg_shrink, double scale, int sequential, int fail_on);
void depot_vips_describe(DepotVipsImage *image, DepotVipsHeader *out);
/// A metadata blob the loader attached to the image ("exif-data", "iptc-data", "icc-profile-data", "xmp-data"):
/// `*data` points into the image (valid while it lives). 0 when present, -1 when absent.
int depot_vips_get_blob(DepotVipsImage *image, const char *name, const void **data, size_t *length);
void depot_vips_unref(DepotVipsImage *image);

/// Operations. `out` receives a new reference.
int depot_vips_resize(DepotVipsImage *in, DepotVipsImage **out, double hscale, double vscale);
int depot_vips_autorot(DepotVipsImage *in, DepotVipsImage **out);
/// Quarter turns clockwise (1, 2, 3).
int depot_vips_rot(DepotVipsImage *in, DepotVipsImage **out, int quarter_turns);
/// Any angle, clockwise, the uncovered corners filled with `background` (n values).
int depot_vips_rotate(DepotVipsImage *in, DepotVipsImage **out, double angle, const double *background, int n);
int depot_vips_flip(DepotVipsImage *in, DepotVipsImage **out, int horizontal);
int depot_vips_extract(DepotVipsImage *in, DepotVipsImage **out, int left, int top, int width, int height);
int depot_vips_embed(DepotVipsImage *in, DepotVipsImage **out, int x, int y, int width, int height,
                     const double *background, int n);
int depot_vips_gaussblur(DepotVipsImage *in, DepotVipsImage **out, double sigma);
int depot_vips_sharpen(DepotVipsImage *in, DepotVipsImage **out, double sigma);
int depot_vips_median(DepotVipsImage *in, DepotVipsImage **out, int size);
int depot_vips_greyscale(DepotVipsImage *in, DepotVipsImage **out);
/// Inverts the colour bands; alpha is kept.
int depot_vips_negate(DepotVipsImage *in, DepotVipsImage **out);
/// Keeps each pixel's lightness and takes the chroma of the sRGB colour (r, g, b).
int depot_vips_tint(DepotVipsImage *in, DepotVipsImage **out, double r, double g, double b);
/// out = in ** (1 / exponent), scaled to the format's range.
int depot_vips_gamma(DepotVipsImage *in, DepotVipsImage **out, double exponent);
/// Stretches lightness so that the 1st and 99th percentiles span the full range.
int depot_vips_normalise(DepotVipsImage *in, DepotVipsImage **out);
/// The box of pixels that differ from the top-left corner's colour by more than `threshold`.
int depot_vips_find_trim(DepotVipsImage *in, double threshold, int *left, int *top, int *width, int *height);
/// 8-bit sRGB (or 8-bit grey): ICC profiles and CMYK converted, 16-bit reduced. A no-op on 8-bit sRGB without a profile.
int depot_vips_to_srgb(DepotVipsImage *in, DepotVipsImage **out);
/// Removes alpha by compositing over (r, g, b).
int depot_vips_flatten(DepotVipsImage *in, DepotVipsImage **out, double r, double g, double b);
/// Bands [first, first + n).
int depot_vips_extract_bands(DepotVipsImage *in, DepotVipsImage **out, int first, int n);
/// Grey (with or without alpha) to sRGB.
int depot_vips_to_colour(DepotVipsImage *in, DepotVipsImage **out);
int depot_vips_copy_memory(DepotVipsImage *in, DepotVipsImage **out);
/// A new image over `in`'s pixels (vips_copy): what a transform builds on, and sets its deadline on, without
/// touching an image other transforms share.
int depot_vips_view(DepotVipsImage *in, DepotVipsImage **out);
/// Evaluation of this image (the decode and every step before it) stops with an error once the monotonic
/// clock passes `deadline_us` (g_get_monotonic_time units).
void depot_vips_set_deadline(DepotVipsImage *image, int64_t deadline_us);
int64_t depot_vips_monotonic_us(void);
/// Hands the allocator's free pages back to the system (glibc's malloc_trim); a no-op elsewhere. Blocking, brief.
void depot_release_free_memory(void);

/// Output formats of depot_vips_save.
enum { DEPOT_VIPS_JPEG = 0, DEPOT_VIPS_PNG = 1, DEPOT_VIPS_WEBP = 2, DEPOT_VIPS_AVIF = 3, DEPOT_VIPS_TIFF = 4 };
/// Encodes with metadata stripped; `*buffer` is freed with depot_vips_free. `effort` applies to WebP and AVIF.
int depot_vips_save(DepotVipsImage *in, int format, int quality, int effort, void **buffer, size_t *length);
void depot_vips_free(void *buffer);
/// 1 when the linked libvips's WebP saver keeps the whole pipeline alive after a failed save (an evaluation killed
/// at its deadline, a source that fails to decode): fixed in libvips 8.15.4 (libvips #4107).
int depot_vips_webpsave_leaks_on_failure(void);
/// Live libvips loaders reading the file at `path`: none once every pipeline that read it was released.
int depot_vips_loaders_reading(const char *path);

/// A synthetic test card (diagonal gradient, `bands` 1–4, alpha ramping when 2 or 4) with an EXIF orientation,
/// encoded to `format`: for tests and benchmarks that need images of exact geometry.
int depot_vips_test_card(int width, int height, int bands, int orientation, int format, void **buffer, size_t *length);

#endif
