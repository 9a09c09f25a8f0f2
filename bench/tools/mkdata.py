#!/usr/bin/env python3
"""mkdata.py OUTDIR - deterministic input data for bench/gen_capture.sh (stdlib only).

Writes, if not already there (seeded PRNG, deterministic UIDs, so re-runs give identical bytes):
  OUTDIR/dicom/ct/CT_###.dcm   CT Image Storage, 512x512x16 bit   (~513 KB each)
  OUTDIR/dicom/mr/MR_###.dcm   MR Image Storage, 256x256x16 bit   (~129 KB each)
  OUTDIR/dicom/dx/DX_###.dcm   Digital X-Ray,   2048x2500x16 bit  (~10 MB each)
  OUTDIR/dicom/us/US_###.dcm   tiny objects (64x64) for many small C-STOREs
  OUTDIR/www/...               HTTP document root: html/css/js/png/bin of many sizes
  OUTDIR/files/...             SMB transfer files (binary, several MB)
Part-10 files use Explicit VR Little Endian with a proper File Meta Information group.
"""
import os, random, struct, sys, uuid

OUT = sys.argv[1]
NS = uuid.UUID('3a6f0c52-98a1-4b7c-9d0e-6d65647365e1')
N_CT = int(os.environ.get('MK_CT', 48))
N_MR = int(os.environ.get('MK_MR', 40))
N_DX = int(os.environ.get('MK_DX', 4))
N_US = int(os.environ.get('MK_US', 200))


def uid(name):
    return '2.25.%d' % uuid.uuid5(NS, name).int


LONG_VR = {b'OB', b'OW', b'OF', b'OD', b'OL', b'OV', b'SQ', b'UT', b'UN', b'UC', b'UR', b'SV', b'UV'}


def elem(group, el, vr, value):
    vr = vr.encode()
    if isinstance(value, str):
        value = value.encode('ascii')
        if len(value) % 2:
            value += b'\0' if vr == b'UI' else b' '
    elif isinstance(value, int):
        value = struct.pack('<H', value) if vr == b'US' else struct.pack('<I', value)
    elif len(value) % 2:
        value += b'\0'
    if vr in LONG_VR:
        return struct.pack('<HH2sHI', group, el, vr, 0, len(value)) + value
    return struct.pack('<HH2sH', group, el, vr, len(value)) + value


def part10(path, sop_class, sop_inst, elems):
    ts = '1.2.840.10008.1.2.1'
    meta = b''.join([
        elem(2, 1, 'OB', b'\x00\x01'),
        elem(2, 2, 'UI', sop_class),
        elem(2, 3, 'UI', sop_inst),
        elem(2, 0x10, 'UI', ts),
        elem(2, 0x12, 'UI', '1.2.826.0.1.3680043.9.7433.1.1'),
        elem(2, 0x13, 'SH', 'MEDSENTRY_BENCH'),
    ])
    body = b''.join(elem(*e) for e in sorted(elems, key=lambda e: (e[0], e[1])))
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(b'\0' * 128 + b'DICM' + elem(2, 0, 'UL', len(meta)) + meta + body)
    os.replace(tmp, path)


_MASK12 = bytes(b & 0x0F for b in range(256))


def pixels(rng, rows, cols):
    # 12-bit values stored in 16 bits: random low byte, high nibble masked
    pix = bytearray(rng.randbytes(rows * cols * 2))
    pix[1::2] = pix[1::2].translate(_MASK12)
    return bytes(pix)


def series(kind, sop_class, modality, n, rows, cols, pat, pid, study_desc):
    d = os.path.join(OUT, 'dicom', kind.lower())
    os.makedirs(d, exist_ok=True)
    last = os.path.join(d, '%s_%03d.dcm' % (kind, n))
    if os.path.exists(last):
        return
    rng = random.Random('medsentry-bench-' + kind)
    study = uid(kind + '-study')
    ser = uid(kind + '-series')
    for i in range(1, n + 1):
        sop = uid('%s-%d' % (kind, i))
        elems = [
            (0x0008, 0x0005, 'CS', 'ISO_IR 100'),
            (0x0008, 0x0008, 'CS', 'ORIGINAL\\PRIMARY\\AXIAL'),
            (0x0008, 0x0016, 'UI', sop_class),
            (0x0008, 0x0018, 'UI', sop),
            (0x0008, 0x0020, 'DA', '20240315'),
            (0x0008, 0x0030, 'TM', '101500'),
            (0x0008, 0x0050, 'SH', 'ACC%s001' % kind),
            (0x0008, 0x0060, 'CS', modality),
            (0x0008, 0x0070, 'LO', 'MEDSENTRY BENCH'),
            (0x0008, 0x0090, 'PN', 'REFERRING^DOCTOR'),
            (0x0008, 0x1030, 'LO', study_desc),
            (0x0008, 0x103E, 'LO', '%s bench series' % modality),
            (0x0010, 0x0010, 'PN', pat),
            (0x0010, 0x0020, 'LO', pid),
            (0x0010, 0x0030, 'DA', '19600101'),
            (0x0010, 0x0040, 'CS', 'O'),
            (0x0018, 0x0050, 'DS', '1.25'),
            (0x0020, 0x000D, 'UI', study),
            (0x0020, 0x000E, 'UI', ser),
            (0x0020, 0x0010, 'SH', 'S%s' % kind),
            (0x0020, 0x0011, 'IS', '1'),
            (0x0020, 0x0013, 'IS', str(i)),
            (0x0020, 0x0032, 'DS', '-250\\-250\\%d' % (i * 2)),
            (0x0020, 0x0037, 'DS', '1\\0\\0\\0\\1\\0'),
            (0x0020, 0x0052, 'UI', uid(kind + '-for')),
            (0x0028, 0x0002, 'US', 1),
            (0x0028, 0x0004, 'CS', 'MONOCHROME2'),
            (0x0028, 0x0010, 'US', rows),
            (0x0028, 0x0011, 'US', cols),
            (0x0028, 0x0030, 'DS', '0.5\\0.5'),
            (0x0028, 0x0100, 'US', 16),
            (0x0028, 0x0101, 'US', 12),
            (0x0028, 0x0102, 'US', 11),
            (0x0028, 0x0103, 'US', 0),
            (0x0028, 0x1050, 'DS', '40'),
            (0x0028, 0x1051, 'DS', '400'),
            (0x0028, 0x1052, 'DS', '-1024'),
            (0x0028, 0x1053, 'DS', '1'),
            (0x7FE0, 0x0010, 'OW', pixels(rng, rows, cols)),
        ]
        part10(os.path.join(d, '%s_%03d.dcm' % (kind, i)), sop_class, sop, elems)


def blob(path, size, seed, text=False):
    if os.path.exists(path) and os.path.getsize(path) == size:
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = random.Random(seed)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        left = size
        while left:
            n = min(left, 1 << 20)
            if text:
                chunk = ''.join(rng.choice('abcdefghijklmnopqrstuvwxyz     <>/=\n') for _ in range(min(n, 4096))).encode()
                chunk = (chunk * (n // len(chunk) + 1))[:n]
            else:
                chunk = rng.randbytes(n)
            f.write(chunk)
            left -= n
    os.replace(tmp, path)


def main():
    series('CT', '1.2.840.10008.5.1.4.1.1.2', 'CT', N_CT, 512, 512, 'BENCH^CT', 'BENCH001', 'CT CHEST BENCH')
    series('MR', '1.2.840.10008.5.1.4.1.1.4', 'MR', N_MR, 256, 256, 'BENCH^MR', 'BENCH002', 'MR HEAD BENCH')
    series('DX', '1.2.840.10008.5.1.4.1.1.1.1', 'DX', N_DX, 2500, 2048, 'BENCH^DX', 'BENCH003', 'DX CHEST BENCH')
    series('US', '1.2.840.10008.5.1.4.1.1.6.1', 'US', N_US, 64, 64, 'BENCH^US', 'BENCH004', 'US SMALL BENCH')
    www = os.path.join(OUT, 'www')
    for i in range(20):
        blob(os.path.join(www, 'pages', 'page%02d.html' % i), 1500 + 900 * i, 'page%d' % i, text=True)
    blob(os.path.join(www, 'style.css'), 6000, 'css', text=True)
    blob(os.path.join(www, 'app.js'), 48000, 'js', text=True)
    for i, sz in enumerate((8 << 10, 64 << 10, 256 << 10)):
        blob(os.path.join(www, 'img', 'img%d.png' % i), sz, 'img%d' % i)
    for name, sz in (('2m', 2 << 20), ('8m', 8 << 20), ('24m', 24 << 20)):
        blob(os.path.join(www, 'dl', 'blob_%s.bin' % name), sz, 'dl' + name)
    files = os.path.join(OUT, 'files')
    for name, sz in (('1m', 1 << 20), ('4m', 4 << 20), ('16m', 16 << 20), ('32m', 32 << 20)):
        blob(os.path.join(files, 'file_%s.bin' % name), sz, 'smb' + name)
    for i in range(30):
        blob(os.path.join(files, 'small', 'report%02d.txt' % i), 2000 + 1500 * i, 'rep%d' % i, text=True)


if __name__ == '__main__':
    main()
