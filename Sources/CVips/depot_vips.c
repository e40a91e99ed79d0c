#include "depot_vips.h"
#include <vips/vips.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

int depot_vips_init(const char *argv0) {
    return VIPS_INIT(argv0 ? argv0 : "depot") == 0 ? 0 : -1;
}

const char *depot_vips_version(void) {
    return vips_version_string();
}

void depot_vips_configure(int cache_max_ops, size_t cache_max_mem, int concurrency) {
    vips_cache_set_max(cache_max_ops);
    vips_cache_set_max_mem(cache_max_mem);
    if (concurrency > 0) vips_concurrency_set(concurrency);
}

int depot_vips_header_file(const char *path, int *width, int *height, int *bands, int *has_alpha) {
    /* vips_image_new_from_file only parses the header: pixels are decoded lazily on demand. */
    VipsImage *image = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!image) return -1;
    *width = vips_image_get_width(image);
    *height = vips_image_get_height(image);
    *bands = vips_image_get_bands(image);
    *has_alpha = vips_image_hasalpha(image);
    g_object_unref(image);
    return 0;
}

void depot_vips_last_error(char *buf, size_t len) {
    if (!buf || len == 0) return;
    const char *text = vips_error_buffer();
    strncpy(buf, text ? text : "", len - 1);
    buf[len - 1] = '\0';
    vips_error_clear();
}

/* ---- opening ---------------------------------------------------------------------------------------- */

static int starts_with(const char *s, const char *prefix) {
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Loader options differ per format (pngload refuses `shrink`), so the loader is found first.
 * vips_foreign_find_load answers the operation's type name ("VipsForeignLoadJpegFile"), not its nickname
 * ("jpegload"): the nickname is looked up, else no shrink-on-load would ever apply. */
static VipsImage *open_with(const char *type_name, const char *path, const void *data, size_t length,
                            int jpeg_shrink, double scale, int sequential, int fail_on) {
    VipsAccess access = sequential ? VIPS_ACCESS_SEQUENTIAL : VIPS_ACCESS_RANDOM;
    GType type = g_type_from_name(type_name);
    const char *loader = type ? vips_nickname_find(type) : NULL;
    if (starts_with(loader, "jpegload") && jpeg_shrink > 1) {
        return path ? vips_image_new_from_file(path, "access", access, "fail_on", fail_on, "shrink", jpeg_shrink, NULL)
                    : vips_image_new_from_buffer(data, length, "", "access", access, "fail_on", fail_on, "shrink", jpeg_shrink, NULL);
    }
    if (starts_with(loader, "webpload") && scale > 0 && scale < 1) {
        return path ? vips_image_new_from_file(path, "access", access, "fail_on", fail_on, "scale", scale, NULL)
                    : vips_image_new_from_buffer(data, length, "", "access", access, "fail_on", fail_on, "scale", scale, NULL);
    }
    return path ? vips_image_new_from_file(path, "access", access, "fail_on", fail_on, NULL)
                : vips_image_new_from_buffer(data, length, "", "access", access, "fail_on", fail_on, NULL);
}

DepotVipsImage *depot_vips_open_file(const char *path, int jpeg_shrink, double scale, int sequential, int fail_on) {
    const char *loader = vips_foreign_find_load(path);
    if (!loader) return NULL;
    return open_with(loader, path, NULL, 0, jpeg_shrink, scale, sequential, fail_on);
}

DepotVipsImage *depot_vips_open_buffer(const void *data, size_t length, int jpeg_shrink, double scale, int sequential, int fail_on) {
    const char *loader = vips_foreign_find_load_buffer(data, length);
    if (!loader) return NULL;
    return open_with(loader, NULL, data, length, jpeg_shrink, scale, sequential, fail_on);
}

void depot_vips_describe(DepotVipsImage *image, DepotVipsHeader *out) {
    memset(out, 0, sizeof(*out));
    out->width = vips_image_get_width(image);
    out->height = vips_image_get_height(image);
    out->bands = vips_image_get_bands(image);
    out->has_alpha = vips_image_hasalpha(image);
    out->orientation = vips_image_get_orientation(image);
    if (out->orientation < 1 || out->orientation > 8) out->orientation = 1;
    out->interpretation = vips_image_get_interpretation(image);
    out->band_format = vips_image_get_format(image);
    out->has_icc_profile = vips_image_get_typeof(image, VIPS_META_ICC_NAME) != 0;
    const char *loader = NULL;
    if (vips_image_get_typeof(image, VIPS_META_LOADER) && vips_image_get_string(image, VIPS_META_LOADER, &loader) == 0 && loader) {
        strncpy(out->loader, loader, sizeof(out->loader) - 1);
    }
}

int depot_vips_get_blob(DepotVipsImage *image, const char *name, const void **data, size_t *length) {
    *data = NULL;
    *length = 0;
    if (vips_image_get_typeof(image, name) != VIPS_TYPE_BLOB) return -1;
    if (vips_image_get_blob(image, name, data, length)) {
        vips_error_clear();
        return -1;
    }
    return *data ? 0 : -1;
}

void depot_vips_unref(DepotVipsImage *image) {
    if (image) g_object_unref(image);
}

/* ---- operations ------------------------------------------------------------------------------------- */

int depot_vips_resize(DepotVipsImage *in, DepotVipsImage **out, double hscale, double vscale) {
    return vips_resize(in, out, hscale, "vscale", vscale, NULL);
}

int depot_vips_autorot(DepotVipsImage *in, DepotVipsImage **out) {
    return vips_autorot(in, out, NULL);
}

int depot_vips_rot(DepotVipsImage *in, DepotVipsImage **out, int quarter_turns) {
    static const VipsAngle angles[] = { VIPS_ANGLE_D0, VIPS_ANGLE_D90, VIPS_ANGLE_D180, VIPS_ANGLE_D270 };
    return vips_rot(in, out, angles[((quarter_turns % 4) + 4) % 4], NULL);
}

int depot_vips_rotate(DepotVipsImage *in, DepotVipsImage **out, double angle, const double *background, int n) {
    VipsArrayDouble *bg = vips_array_double_new(background, n);
    int status = vips_rotate(in, out, angle, "background", bg, NULL);
    vips_area_unref(VIPS_AREA(bg));
    return status;
}

int depot_vips_flip(DepotVipsImage *in, DepotVipsImage **out, int horizontal) {
    return vips_flip(in, out, horizontal ? VIPS_DIRECTION_HORIZONTAL : VIPS_DIRECTION_VERTICAL, NULL);
}

int depot_vips_extract(DepotVipsImage *in, DepotVipsImage **out, int left, int top, int width, int height) {
    return vips_extract_area(in, out, left, top, width, height, NULL);
}

int depot_vips_embed(DepotVipsImage *in, DepotVipsImage **out, int x, int y, int width, int height,
                     const double *background, int n) {
    VipsArrayDouble *bg = vips_array_double_new(background, n);
    int status = vips_embed(in, out, x, y, width, height, "extend", VIPS_EXTEND_BACKGROUND, "background", bg, NULL);
    vips_area_unref(VIPS_AREA(bg));
    return status;
}

int depot_vips_gaussblur(DepotVipsImage *in, DepotVipsImage **out, double sigma) {
    VipsImage *blurred = NULL;
    if (vips_gaussblur(in, &blurred, sigma, NULL)) return -1;
    int status = vips_cast(blurred, out, vips_image_get_format(in), NULL);
    g_object_unref(blurred);
    return status;
}

int depot_vips_sharpen(DepotVipsImage *in, DepotVipsImage **out, double sigma) {
    VipsImage *sharp = NULL;
    if (vips_sharpen(in, &sharp, "sigma", sigma, NULL)) return -1;
    /* vips_sharpen answers in LABS; bring it back to the input's space. */
    int status = vips_colourspace(sharp, out, vips_image_get_interpretation(in), NULL);
    g_object_unref(sharp);
    return status;
}

int depot_vips_median(DepotVipsImage *in, DepotVipsImage **out, int size) {
    return vips_median(in, out, size, NULL);
}

int depot_vips_greyscale(DepotVipsImage *in, DepotVipsImage **out) {
    return vips_colourspace(in, out, VIPS_INTERPRETATION_B_W, NULL);
}

/* Splits off alpha (if any) so that colour operations leave it as it is. */
static int split_alpha(VipsImage *in, VipsImage **colour, VipsImage **alpha) {
    *alpha = NULL;
    if (!vips_image_hasalpha(in)) { g_object_ref(in); *colour = in; return 0; }
    int bands = vips_image_get_bands(in);
    if (vips_extract_band(in, colour, 0, "n", bands - 1, NULL)) return -1;
    if (vips_extract_band(in, alpha, bands - 1, NULL)) { g_object_unref(*colour); return -1; }
    return 0;
}

static int join_alpha(VipsImage *colour, VipsImage *alpha, VipsImage **out) {
    if (!alpha) { g_object_ref(colour); *out = colour; return 0; }
    return vips_bandjoin2(colour, alpha, out, NULL);
}

int depot_vips_negate(DepotVipsImage *in, DepotVipsImage **out) {
    VipsImage *colour = NULL, *alpha = NULL, *inverted = NULL;
    if (split_alpha(in, &colour, &alpha)) return -1;
    int status = vips_invert(colour, &inverted, NULL);
    if (!status) status = join_alpha(inverted, alpha, out);
    if (inverted) g_object_unref(inverted);
    g_object_unref(colour);
    if (alpha) g_object_unref(alpha);
    return status;
}

/* L*a*b* of one sRGB colour. */
static int lab_of(double r, double g, double b, double lab[3]) {
    unsigned char pixel[3] = { (unsigned char) VIPS_CLIP(0, r, 255), (unsigned char) VIPS_CLIP(0, g, 255), (unsigned char) VIPS_CLIP(0, b, 255) };
    VipsImage *one = vips_image_new_from_memory_copy(pixel, 3, 1, 1, 3, VIPS_FORMAT_UCHAR);
    if (!one) return -1;
    one->Type = VIPS_INTERPRETATION_sRGB;
    VipsImage *converted = NULL;
    double *values = NULL;
    int n = 0;
    int status = vips_colourspace(one, &converted, VIPS_INTERPRETATION_LAB, NULL);
    if (!status) status = vips_getpoint(converted, &values, &n, 0, 0, NULL);
    if (!status && n >= 3) memcpy(lab, values, 3 * sizeof(double));
    g_free(values);
    if (converted) g_object_unref(converted);
    g_object_unref(one);
    return status;
}

/* Rebuilds an sRGB image from a lightness band and two chroma bands (constants or images). */
static int from_lab(VipsImage *lightness, VipsImage *chroma, const double *ab, VipsImage *alpha, VipsImage **out) {
    VipsImage *lab = NULL, *srgb = NULL;
    int status = chroma ? vips_bandjoin2(lightness, chroma, &lab, NULL)
                        : vips_bandjoin_const(lightness, &lab, (double *) ab, 2, NULL);
    if (!status) { vips_image_set_int(lab, "interpretation", VIPS_INTERPRETATION_LAB); lab->Type = VIPS_INTERPRETATION_LAB; }
    if (!status) status = vips_colourspace(lab, &srgb, VIPS_INTERPRETATION_sRGB, NULL);
    if (!status) status = join_alpha(srgb, alpha, out);
    if (srgb) g_object_unref(srgb);
    if (lab) g_object_unref(lab);
    return status;
}

int depot_vips_tint(DepotVipsImage *in, DepotVipsImage **out, double r, double g, double b) {
    double tint[3];
    if (lab_of(r, g, b, tint)) return -1;
    VipsImage *colour = NULL, *alpha = NULL, *lab = NULL, *lightness = NULL;
    if (split_alpha(in, &colour, &alpha)) return -1;
    int status = vips_colourspace(colour, &lab, VIPS_INTERPRETATION_LAB, NULL);
    if (!status) status = vips_extract_band(lab, &lightness, 0, NULL);
    if (!status) status = from_lab(lightness, NULL, tint + 1, alpha, out);
    if (lightness) g_object_unref(lightness);
    if (lab) g_object_unref(lab);
    g_object_unref(colour);
    if (alpha) g_object_unref(alpha);
    return status;
}

int depot_vips_gamma(DepotVipsImage *in, DepotVipsImage **out, double exponent) {
    return vips_gamma(in, out, "exponent", exponent, NULL);
}

int depot_vips_normalise(DepotVipsImage *in, DepotVipsImage **out) {
    VipsImage *colour = NULL, *alpha = NULL, *lab = NULL, *lightness = NULL, *chroma = NULL, *scaled = NULL,
              *index = NULL, *stretched = NULL;
    if (split_alpha(in, &colour, &alpha)) return -1;
    int low = 0, high = 100;
    int status = vips_colourspace(colour, &lab, VIPS_INTERPRETATION_LAB, NULL);
    if (!status) status = vips_extract_band(lab, &lightness, 0, NULL);
    if (!status) status = vips_extract_band(lab, &chroma, 1, "n", 2, NULL);
    /* Percentiles of L (0–100) read from a 0–255 histogram. */
    if (!status) status = vips_linear1(lightness, &scaled, 2.55, 0, NULL);
    if (!status) status = vips_cast(scaled, &index, VIPS_FORMAT_UCHAR, NULL);
    if (!status) status = vips_percent(index, 1, &low, NULL);
    if (!status) status = vips_percent(index, 99, &high, NULL);
    if (!status) {
        double lo = low / 2.55, hi = high / 2.55;
        if (hi - lo < 1) { lo = 0; hi = 100; }
        status = vips_linear1(lightness, &stretched, 100 / (hi - lo), -lo * 100 / (hi - lo), NULL);
    }
    if (!status) status = from_lab(stretched, chroma, NULL, alpha, out);
    VipsImage *all[] = { colour, alpha, lab, lightness, chroma, scaled, index, stretched };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) if (all[i]) g_object_unref(all[i]);
    return status;
}

int depot_vips_find_trim(DepotVipsImage *in, double threshold, int *left, int *top, int *width, int *height) {
    double *corner = NULL;
    int n = 0;
    if (vips_getpoint(in, &corner, &n, 0, 0, NULL)) return -1;
    int colour_bands = vips_image_hasalpha(in) ? n - 1 : n;
    VipsArrayDouble *bg = vips_array_double_new(corner, colour_bands > 0 ? colour_bands : n);
    int status = vips_find_trim(in, left, top, width, height, "threshold", threshold, "background", bg, NULL);
    vips_area_unref(VIPS_AREA(bg));
    g_free(corner);
    return status;
}

int depot_vips_to_srgb(DepotVipsImage *in, DepotVipsImage **out) {
    VipsInterpretation kind = vips_image_get_interpretation(in);
    int has_profile = vips_image_get_typeof(in, VIPS_META_ICC_NAME) != 0;
    if (has_profile || kind == VIPS_INTERPRETATION_CMYK) {
        if (kind == VIPS_INTERPRETATION_CMYK && !has_profile)
            return vips_icc_transform(in, out, "srgb", "input_profile", "cmyk", "embedded", TRUE,
                                      "intent", VIPS_INTENT_PERCEPTUAL, NULL);
        if (vips_icc_transform(in, out, "srgb", "embedded", TRUE, "intent", VIPS_INTENT_PERCEPTUAL, NULL) == 0) return 0;
        /* A broken embedded profile: fall back to treating the pixels as sRGB. */
        vips_error_clear();
    }
    if (kind == VIPS_INTERPRETATION_B_W && vips_image_get_format(in) == VIPS_FORMAT_UCHAR) { g_object_ref(in); *out = in; return 0; }
    if (kind == VIPS_INTERPRETATION_B_W || kind == VIPS_INTERPRETATION_GREY16)
        return vips_colourspace(in, out, VIPS_INTERPRETATION_B_W, NULL);
    if (kind == VIPS_INTERPRETATION_sRGB && vips_image_get_format(in) == VIPS_FORMAT_UCHAR) { g_object_ref(in); *out = in; return 0; }
    return vips_colourspace(in, out, VIPS_INTERPRETATION_sRGB, NULL);
}

int depot_vips_flatten(DepotVipsImage *in, DepotVipsImage **out, double r, double g, double b) {
    double values[3] = { r, g, b };
    int n = vips_image_get_bands(in) - 1 >= 3 ? 3 : 1;
    VipsArrayDouble *bg = vips_array_double_new(values, n);
    VipsImage *flat = NULL;
    int status = vips_flatten(in, &flat, "background", bg, NULL);
    vips_area_unref(VIPS_AREA(bg));
    if (status) return -1;
    /* flatten answers in float; the encoders want the input's format. */
    status = vips_cast(flat, out, vips_image_get_format(in), NULL);
    g_object_unref(flat);
    return status;
}

int depot_vips_extract_bands(DepotVipsImage *in, DepotVipsImage **out, int first, int n) {
    return vips_extract_band(in, out, first, "n", n, NULL);
}

int depot_vips_to_colour(DepotVipsImage *in, DepotVipsImage **out) {
    return vips_colourspace(in, out, VIPS_INTERPRETATION_sRGB, NULL);
}

int depot_vips_copy_memory(DepotVipsImage *in, DepotVipsImage **out) {
    *out = vips_image_copy_memory(in);
    return *out ? 0 : -1;
}

int depot_vips_view(DepotVipsImage *in, DepotVipsImage **out) {
    return vips_copy(in, out, NULL);
}

/* ---- deadlines -------------------------------------------------------------------------------------- */

typedef struct { gint64 deadline; } Deadline;

static void on_eval(VipsImage *image, VipsProgress *progress, gpointer data) {
    (void) progress;
    if (g_get_monotonic_time() > ((Deadline *) data)->deadline) vips_image_set_kill(image, TRUE);
}

void depot_vips_set_deadline(DepotVipsImage *image, int64_t deadline_us) {
    Deadline *deadline = g_new(Deadline, 1);
    deadline->deadline = deadline_us;
    vips_image_set_progress(image, TRUE);
    g_signal_connect_data(image, "eval", G_CALLBACK(on_eval), deadline, (GClosureNotify) g_free, 0);
}

int64_t depot_vips_monotonic_us(void) {
    return g_get_monotonic_time();
}

void depot_release_free_memory(void) {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

/* ---- encoding --------------------------------------------------------------------------------------- */

static int save(VipsImage *in, int format, int quality, int effort, int strip, void **buffer, size_t *length) {
    switch (format) {
    case DEPOT_VIPS_JPEG:
        return vips_jpegsave_buffer(in, buffer, length, "Q", quality, "strip", strip, "optimize_coding", TRUE, NULL);
    case DEPOT_VIPS_PNG:
        return vips_pngsave_buffer(in, buffer, length, "compression", 6, "strip", strip, NULL);
    case DEPOT_VIPS_WEBP:
        return vips_webpsave_buffer(in, buffer, length, "Q", quality, "strip", strip, "effort", effort, NULL);
    case DEPOT_VIPS_AVIF:
        return vips_heifsave_buffer(in, buffer, length, "Q", quality, "strip", strip, "effort", effort,
                                    "compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1, NULL);
    case DEPOT_VIPS_TIFF:
        return vips_tiffsave_buffer(in, buffer, length, "Q", quality, "strip", strip, NULL);
    default:
        vips_error("depot", "unknown output format %d", format);
        return -1;
    }
}

int depot_vips_save(DepotVipsImage *in, int format, int quality, int effort, void **buffer, size_t *length) {
    return save(in, format, quality, effort, TRUE, buffer, length);
}

void depot_vips_free(void *buffer) {
    g_free(buffer);
}

int depot_vips_webpsave_leaks_on_failure(void) {
    /* Before 8.15.4 webpsave's build returns on a failed sink without dropping its copy of the input image. */
    return vips_version(0) * 10000 + vips_version(1) * 100 + vips_version(2) < 81504;
}

static void *count_loader(void *item, void *path, void *count) {
    VipsObject *object = VIPS_OBJECT(item);
    if (!VIPS_IS_FOREIGN_LOAD(object) || !g_object_class_find_property(G_OBJECT_GET_CLASS(object), "filename")) return NULL;
    char *filename = NULL;
    g_object_get(object, "filename", &filename, NULL);
    if (filename && strcmp(filename, (const char *) path) == 0) (*(int *) count)++;
    g_free(filename);
    return NULL;
}

int depot_vips_loaders_reading(const char *path) {
    int count = 0;
    vips_object_map(count_loader, (void *) path, &count);
    return count;
}

int depot_vips_test_card(int width, int height, int bands, int orientation, int format, void **buffer, size_t *length) {
    VipsImage *xyz = NULL, *x = NULL, *y = NULL, *sum = NULL, *channels[4] = { NULL, NULL, NULL, NULL }, *joined = NULL;
    int status = vips_xyz(&xyz, width, height, NULL);
    if (!status) status = vips_extract_band(xyz, &x, 0, NULL);
    if (!status) status = vips_extract_band(xyz, &y, 1, NULL);
    if (!status) status = vips_add(x, y, &sum, NULL);
    /* red follows x, green follows y, blue the diagonal, alpha ramps with x from 64 to 255. */
    if (!status) status = vips_linear1(x, &channels[0], 255.0 / VIPS_MAX(width - 1, 1), 0, "uchar", TRUE, NULL);
    if (!status) status = vips_linear1(y, &channels[1], 255.0 / VIPS_MAX(height - 1, 1), 0, "uchar", TRUE, NULL);
    if (!status) status = vips_linear1(sum, &channels[2], 255.0 / VIPS_MAX(width + height - 2, 1), 0, "uchar", TRUE, NULL);
    if (!status) status = vips_linear1(x, &channels[3], 191.0 / VIPS_MAX(width - 1, 1), 64, "uchar", TRUE, NULL);
    if (!status) {
        VipsImage *pick[4];
        int n = 0;
        if (bands <= 2) { pick[n++] = channels[2]; if (bands == 2) pick[n++] = channels[3]; }
        else { pick[n++] = channels[0]; pick[n++] = channels[1]; pick[n++] = channels[2]; if (bands == 4) pick[n++] = channels[3]; }
        status = vips_bandjoin(pick, &joined, n, NULL);
    }
    if (!status) {
        joined->Type = bands <= 2 ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB;
        if (orientation > 1) vips_image_set_int(joined, VIPS_META_ORIENTATION, orientation);
        status = save(joined, format, 90, 4, FALSE, buffer, length);
    }
    VipsImage *all[] = { xyz, x, y, sum, channels[0], channels[1], channels[2], channels[3], joined };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) if (all[i]) g_object_unref(all[i]);
    return status;
}
