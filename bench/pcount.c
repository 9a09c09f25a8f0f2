/* pcount - the bare libpcap read loop used as the benchmark's upper bound.
 *
 * Reads a capture with pcap_next_ex() and does nothing but count: packets, captured
 * bytes (caplen), wire bytes (len) and the largest wire length seen.  Any program that
 * reads the same file through libpcap cannot be faster than this on the same machine.
 *
 * build: cc -O2 -o build/bench/pcount bench/pcount.c -lpcap
 * usage: pcount FILE [BPF-FILTER]
 * output (one line, key=value): packets=N caplen_bytes=N wire_bytes=N max_wire=N
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *hdr;
    const u_char *data;
    uint64_t packets = 0, caplen = 0, wirelen = 0;
    uint32_t max_wire = 0;
    pcap_t *p;
    int rc;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s FILE [BPF-FILTER]\n", argv[0]);
        return 2;
    }
    p = pcap_open_offline(argv[1], errbuf);
    if (p == NULL) {
        fprintf(stderr, "pcount: %s: %s\n", argv[1], errbuf);
        return 1;
    }
    if (argc == 3) {
        struct bpf_program prog;
        if (pcap_compile(p, &prog, argv[2], 1, PCAP_NETMASK_UNKNOWN) != 0 || pcap_setfilter(p, &prog) != 0) {
            fprintf(stderr, "pcount: filter: %s\n", pcap_geterr(p));
            pcap_close(p);
            return 1;
        }
        pcap_freecode(&prog);
    }
    while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
        packets++;
        caplen += hdr->caplen;
        wirelen += hdr->len;
        if (hdr->len > max_wire)
            max_wire = hdr->len;
    }
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "pcount: %s: read error after %llu packets: %s\n", argv[1], (unsigned long long)packets,
                pcap_geterr(p));
        pcap_close(p);
        return 1;
    }
    pcap_close(p);
    printf("packets=%llu caplen_bytes=%llu wire_bytes=%llu max_wire=%lu\n", (unsigned long long)packets,
           (unsigned long long)caplen, (unsigned long long)wirelen, (unsigned long)max_wire);
    return 0;
}
