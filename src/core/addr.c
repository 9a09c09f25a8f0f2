#include "core/addr.h"

#include <arpa/inet.h>
#include <stdio.h>

const char *ip_addr_str(const struct ip_addr *a, char *buf, size_t size)
{
    const char *r = NULL;
    if (a->family == 4)
        r = inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)size);
    else if (a->family == 6)
        r = inet_ntop(AF_INET6, a->b, buf, (socklen_t)size);
    if (!r && size)
        snprintf(buf, size, "%s", "");
    return buf;
}
