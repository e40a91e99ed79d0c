#include "depot_vips.h"
#include <vips/vips.h>
#include <string.h>

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

int depot_vips_header_buffer(const void *data, size_t length, int *width, int *height, int *bands, int *has_alpha,
                             char *loader, size_t loader_len) {
    /* The buffer may be only the first part of the file: the header is all that is read. */
    const char *name = vips_foreign_find_load_buffer(data, length);
    if (!name) return -1;
    VipsImage *image = vips_image_new_from_buffer(data, length, "", "access", VIPS_ACCESS_SEQUENTIAL, "fail", FALSE, NULL);
    if (!image) return -1;
    *width = vips_image_get_width(image);
    *height = vips_image_get_height(image);
    *bands = vips_image_get_bands(image);
    *has_alpha = vips_image_hasalpha(image);
    if (loader && loader_len > 0) {
        strncpy(loader, name, loader_len - 1);
        loader[loader_len - 1] = '\0';
    }
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
