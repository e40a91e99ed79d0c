/* The decode floor of the transform benchmark: how many times per second libvips can decode a JPEG at 1/SHRINK
 * scale (jpegload shrink=SHRINK, sequential; 8 unless given), on N threads in one process — the entropy decode
 * every thumbnail of that source must pay. Usage: decode-floor FILE SECONDS THREADS [SHRINK] → prints "images/s". */
#include <vips/vips.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static const char *file;
static double seconds;
static int shrink = 8;
static volatile int stop;
static long done_count[64];

static void *worker(void *arg) {
    long index = (long) arg;
    while (!stop) {
        VipsImage *image = vips_image_new_from_file(file, "access", VIPS_ACCESS_SEQUENTIAL, "shrink", shrink, NULL);
        double avg = 0;
        if (!image || vips_avg(image, &avg, NULL)) { fprintf(stderr, "%s\n", vips_error_buffer()); exit(1); }
        g_object_unref(image);
        done_count[index]++;
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 4 || VIPS_INIT(argv[0])) { fprintf(stderr, "usage: decode-floor FILE SECONDS THREADS [SHRINK]\n"); return 2; }
    file = argv[1];
    seconds = atof(argv[2]);
    int threads = atoi(argv[3]);
    if (threads < 1 || threads > 64) threads = 2;
    if (argc > 4) shrink = atoi(argv[4]);
    if (shrink != 1 && shrink != 2 && shrink != 4 && shrink != 8) shrink = 8;
    vips_cache_set_max(0);
    vips_concurrency_set(1);
    pthread_t ids[64];
    GTimer *timer = g_timer_new();
    for (long i = 0; i < threads; i++) pthread_create(&ids[i], NULL, worker, (void *) i);
    g_usleep((gulong) (seconds * 1e6));
    stop = 1;
    for (int i = 0; i < threads; i++) pthread_join(ids[i], NULL);
    long total = 0;
    for (int i = 0; i < threads; i++) total += done_count[i];
    printf("%.1f\n", total / g_timer_elapsed(timer, NULL));
    return 0;
}
