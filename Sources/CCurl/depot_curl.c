#include "depot_curl.h"
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

CURLcode depot_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode depot_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode depot_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode depot_curl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode depot_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
CURLcode depot_curl_getinfo_string(CURL *handle, CURLINFO info, const char **value) {
    return curl_easy_getinfo(handle, info, value);
}

CURLcode depot_curl_set_write(CURL *handle, depot_curl_data_callback callback, void *context) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
    return code != CURLE_OK ? code : curl_easy_setopt(handle, CURLOPT_WRITEDATA, context);
}
CURLcode depot_curl_set_read(CURL *handle, depot_curl_data_callback callback, void *context) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback);
    return code != CURLE_OK ? code : curl_easy_setopt(handle, CURLOPT_READDATA, context);
}
CURLcode depot_curl_set_header(CURL *handle, depot_curl_data_callback callback, void *context) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
    return code != CURLE_OK ? code : curl_easy_setopt(handle, CURLOPT_HEADERDATA, context);
}

struct depot_filter { depot_curl_address_filter filter; void *context; };

static curl_socket_t depot_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *address) {
    struct depot_filter *f = clientp;
    (void)purpose;
    const unsigned char *raw = NULL;
    if (address->family == AF_INET) {
        raw = (const unsigned char *)&((struct sockaddr_in *)&address->addr)->sin_addr;
    } else if (address->family == AF_INET6) {
        raw = (const unsigned char *)&((struct sockaddr_in6 *)&address->addr)->sin6_addr;
    }
    if (raw == NULL || !f->filter(address->family, raw, f->context)) return CURL_SOCKET_BAD;
    return socket(address->family, address->socktype, address->protocol);
}

CURLcode depot_curl_set_address_filter(CURL *handle, depot_curl_address_filter filter, void *context) {
    // Lives as long as the handle's transfer; the caller keeps `context` alive for as long.
    static __thread struct depot_filter slot;
    slot.filter = filter;
    slot.context = context;
    CURLcode code = curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, depot_open_socket);
    return code != CURLE_OK ? code : curl_easy_setopt(handle, CURLOPT_OPENSOCKETDATA, &slot);
}

const char *depot_curl_version(void) {
    return curl_version_info(CURLVERSION_NOW)->version;
}
