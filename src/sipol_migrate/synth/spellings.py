"""How operators typed coded values, clean and not (LEGACY.md "Codes typed by people").

Known spellings are taken from FINDINGS.md's complete lists (in several cases and with stray
outer spaces, which trimming removes); unknown ones are spellings those lists do not contain.
"""

from __future__ import annotations

GENDER_MALE = ("L", "L", "L", "l", " L", "LK", "Lk", "LAKI", "Laki", "LAKI2", "Laki2",
               "LAKI-LAKI", "Laki-laki", "laki-laki", "LAKI LAKI", "Laki laki", "PRIA", "Pria",
               "1", "M")
GENDER_FEMALE = ("P", "P", "P", "p", "P ", "PR", "Pr", "W", "w", "PEREMPUAN", "Perempuan",
                 "perempuan", "WANITA", "Wanita", "2", "F")
GENDER_UNKNOWN = (None, "", "  ", "-", "X", "0", "3", "L/P", "?", "Lk.", "Pr.", "Lk/Pr")

MARITAL_NEVER = ("BELUM KAWIN", "Belum Kawin", "belum kawin", "Belum  Kawin", "BELUM MENIKAH",
                 "Belum menikah", "B", "b", "BK", "Bk", "TIDAK KAWIN", "Tidak Kawin")
MARITAL_EVER = ("KAWIN", "Kawin", "kawin", "MENIKAH", "Menikah", "SUDAH KAWIN", "Sudah Kawin",
                "SUDAH MENIKAH", "Sudah  Menikah", "K", "k", "CERAI HIDUP", "Cerai Hidup",
                "CERAI MATI", "Cerai mati", "CH", "CM", "cm", "JANDA", "Janda", "DUDA", "Duda")
MARITAL_UNKNOWN = (None, "", " ", "-", "X", "KW", "S", "Lajang", "BELUM", "Single")

OCCUPATIONS = ("Wiraswasta", "Wiraswasta", "Petani", "Petani", "Pedagang", "Karyawan Swasta",
               "Karyawan Swasta", "Ibu Rumah Tangga", "Mengurus Rumah Tangga", "Buruh Harian Lepas",
               "Nelayan", "Guru Honorer", "Mahasiswa", "Pelajar/Mahasiswa", "Sopir", "Tukang Kayu",
               "Dokter", "Perawat", "Advokat", "Belum/Tidak Bekerja", "Pensiunan", "Peternak",
               "Karyawan BUMN", "Karyawan Honorer", "Ojek", "Seniman", "Wartawan", "Pendeta",
               "Ustadz", "Pengusaha", None, "")
# Contain a barred word or phrase as whole words and none of the exception words.
OCCUPATIONS_BARRED = ("TNI", "POLRI", "Anggota TNI AD", "TNI-AL", "Polisi", "PNS", "pns",
                      "Pegawai Negeri Sipil", "PEGAWAI  NEGERI SIPIL", "ASN", "Aparatur Sipil Negara",
                      "Guru (PNS)", "PNS/Guru", "Kepala Desa", "kepala desa", "Kades", "KADES Sukamaju",
                      "anggota KPU", "Staf KPU Kabupaten", "Bawaslu", "Panwaslu Kecamatan",
                      "Polri (Bripka)", "Dosen ASN")
# Look barred but are not: an exception word, or the barred text is no whole word / phrase.
OCCUPATIONS_LOOKALIKE = ("PENSIUNAN PNS", "Pensiunan-PNS", "Purn. TNI", "Purnawirawan POLRI",
                         "mantan kades", "Mantan Kepala Desa", "Mantan anggota KPU", "PNSX",
                         "Karyawan TNIAGA", "KPUD-Ekspres Kurir", "Pegawai Negeri", "Kepala Dusun",
                         "Politisi", "Asisten Dosen", "Purn TNI AD", "Polisiwan")

KTA_MISSING = (None, "", " ", "-", "--", "000", "0", " . ", "0000.00.000000", "-.-")

LEVEL_PUSAT = ("pusat", "Pusat", "PUSAT", " pusat ")
LEVEL_PROVINSI = ("provinsi", "Provinsi", "PROVINSI", "propinsi", " Provinsi")
LEVEL_KABKOTA = ("kabkota", "KAB/KOTA", "Kab/Kota", "kabupaten/kota", "Kabupaten/Kota", " KAB/KOTA ",
                 "kab-kota", "Kab. / Kota")
LEVEL_KABUPATEN = ("Kabupaten", "KABUPATEN")
LEVEL_KOTA = ("Kota", "KOTA")
LEVEL_KECAMATAN = ("kecamatan", "Kecamatan", "KECAMATAN", " kecamatan")
# Not in FINDINGS.md's list of levels (an operator's "DPP" for the pusat unit included).
LEVEL_UNKNOWN = ("ranting", "DPRt", "kelurahan", "anak cabang", "DPP")

OFFICE_OWNED = ("milik sendiri", "Milik Sendiri", "MILIK SENDIRI")
OFFICE_LEASED = ("sewa", "Sewa", "SEWA", " sewa ")
OFFICE_LENT = ("pinjam pakai", "Pinjam Pakai", "PINJAM PAKAI")

ROLES_PUSAT = ("Ketua Umum", "Sekretaris Jenderal", "Bendahara Umum")
ROLES_REGIONAL = ("Ketua", "Sekretaris", "Bendahara")
ROLES_OTHER = ("Wakil Ketua", "Wakil Sekretaris", "Wakil Bendahara", "Ketua Bidang Organisasi",
               "Ketua Bidang Perempuan", "Anggota", "Bidang Hukum", "Bidang Pemenangan Pemilu")
