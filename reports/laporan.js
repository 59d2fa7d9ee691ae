/* Script of a party's report page; inlined at render time. Plain JavaScript, no libraries.
   Reads the JSON block #data; builds tables with textContent only (values are never parsed as HTML). */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("data").textContent);
  var PAGE = 50;
  var fmt = new Intl.NumberFormat("id-ID");

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function option(select, value, label) {
    var o = el("option", label); o.value = value; select.appendChild(o);
  }
  function place(kab) { var p = DATA.places[kab]; return p ? p[0] : "(wilayah tidak dikenal)"; }
  function provOf(kab) { var p = DATA.places[kab]; return p ? p[1] : ""; }
  function provName(prov) { return DATA.provinces[prov] || "(wilayah tidak dikenal)"; }
  function sortedKeys(obj) { return Object.keys(obj).sort(); }
  function codeLabel(code) { var c = DATA.codes[code]; return c ? code + " — " + c.judul : code; }

  /* ---- paginated, filterable table ---- */
  function Pager(tbody, nav, counter, renderRow) {
    this.tbody = tbody; this.nav = nav; this.counter = counter; this.renderRow = renderRow;
    this.rows = []; this.page = 0; this.total = 0;
  }
  Pager.prototype.show = function (rows, total, what) {
    this.rows = rows; this.page = 0; this.total = total; this.what = what; this.draw();
  };
  Pager.prototype.draw = function () {
    var self = this, pages = Math.max(1, Math.ceil(this.rows.length / PAGE));
    var start = this.page * PAGE, slice = this.rows.slice(start, start + PAGE);
    var frag = document.createDocumentFragment();
    slice.forEach(function (row) { frag.appendChild(self.renderRow(row)); });
    this.tbody.replaceChildren(frag);
    if (this.counter) {
      this.counter.textContent = this.rows.length
        ? "Menampilkan " + fmt.format(start + 1) + "–" + fmt.format(start + slice.length) + " dari " +
          fmt.format(this.rows.length) + " " + this.what + " yang cocok (dimuat di halaman ini: " +
          fmt.format(this.total) + ")."
        : "Tidak ada " + this.what + " yang cocok dengan pencarian.";
    }
    var prev = el("button", "‹ Sebelumnya"), next = el("button", "Berikutnya ›");
    prev.type = next.type = "button";
    prev.disabled = this.page === 0; next.disabled = this.page >= pages - 1;
    prev.addEventListener("click", function () { self.page -= 1; self.draw(); });
    next.addEventListener("click", function () { self.page += 1; self.draw(); });
    this.nav.replaceChildren(prev, el("span", "Halaman " + (this.page + 1) + " dari " + pages), next);
  };

  /* ---- member records ---- */
  var records = DATA.records;  /* [category, kab, id, nik, name, region, kta, codes, detail] */
  var search = records.map(function (r) {
    return [r[2], r[3], r[4], r[6]].join(" ").toLowerCase();
  });
  var codesOf = records.map(function (r) { return r[7] ? r[7].split(", ") : []; });
  var fCat = document.getElementById("filter-kelompok"), fText = document.getElementById("cari");
  var fCode = document.getElementById("filter-kode"), fProv = document.getElementById("filter-provinsi");
  var fKab = document.getElementById("filter-kab");

  Object.keys(DATA.categories).forEach(function (c) {
    if (DATA.recordTotals[c]) option(fCat, c, DATA.categories[c]);
  });
  var seenCodes = {};
  codesOf.forEach(function (list) { list.forEach(function (c) { seenCodes[c] = true; }); });
  sortedKeys(seenCodes).forEach(function (c) { option(fCode, c, codeLabel(c)); });
  var provs = {};
  records.forEach(function (r) { provs[provOf(r[1])] = true; });
  sortedKeys(provs).forEach(function (p) { option(fProv, p, provName(p) + (p ? " (" + p + ")" : "")); });

  function fillKab() {
    var prov = fProv.value, kabs = {};
    records.forEach(function (r) { if (!prov || provOf(r[1]) === prov) kabs[r[1]] = true; });
    fKab.replaceChildren();
    option(fKab, "", "Semua kabupaten/kota");
    sortedKeys(kabs).forEach(function (k) { option(fKab, k, place(k) + (k ? " (" + k + ")" : "")); });
  }

  var memberPager = new Pager(document.querySelector("#tabel-data tbody"),
    document.getElementById("halaman-data"), document.getElementById("hitung"), function (r) {
      var tr = el("tr");
      tr.appendChild(el("td", DATA.categories[r[0]]));
      tr.appendChild(el("td", r[2], "n"));
      tr.appendChild(el("td", r[3], "nik"));
      tr.appendChild(el("td", r[4]));
      tr.appendChild(el("td", place(r[1])));
      tr.appendChild(el("td", r[5], "kode"));
      tr.appendChild(el("td", r[6]));
      tr.appendChild(el("td", r[7], "kode"));
      tr.appendChild(el("td", r[8]));
      return tr;
    });

  function applyFilters() {
    var cat = fCat.value, text = fText.value.trim().toLowerCase(), code = fCode.value;
    var prov = fProv.value, kab = fKab.value, out = [];
    for (var i = 0; i < records.length; i++) {
      var r = records[i];
      if (cat && r[0] !== cat) continue;
      if (kab && r[1] !== kab) continue;
      if (prov && provOf(r[1]) !== prov) continue;
      if (code && codesOf[i].indexOf(code) < 0) continue;
      if (text && search[i].indexOf(text) < 0) continue;
      out.push(r);
    }
    memberPager.show(out, records.length, "data");
  }
  fillKab();
  [fCat, fCode, fKab].forEach(function (s) { s.addEventListener("change", applyFilters); });
  fProv.addEventListener("change", function () { fillKab(); applyFilters(); });
  fText.addEventListener("input", applyFilters);
  applyFilters();

  /* ---- findings per region ---- */
  var wCode = document.getElementById("wilayah-kode"), regionTable = document.getElementById("tabel-wilayah");
  var openAll = document.getElementById("wilayah-buka"), openProv = {};
  var regionCodes = {};
  DATA.regionCodes.forEach(function (r) { regionCodes[r[1]] = true; });
  sortedKeys(regionCodes).forEach(function (c) { option(wCode, c, codeLabel(c)); });

  function regionTotals() {
    var code = wCode.value, columns, perKab = {};
    if (code) {
      columns = [code];
      DATA.regionCodes.forEach(function (r) {
        if (r[1] === code) perKab[r[0]] = { total: r[2] };
      });
    } else {
      columns = Object.keys(DATA.categories);
      DATA.regionRecords.forEach(function (r) {
        var t = perKab[r[0]] || (perKab[r[0]] = {});
        t[r[1]] = (t[r[1]] || 0) + r[2];
      });
      DATA.regionCodes.forEach(function (r) {
        var t = perKab[r[0]] || (perKab[r[0]] = {});
        t.total = (t.total || 0) + r[2];
      });
    }
    return { code: code, perKab: perKab };
  }
  function drawRegions() {
    var totals = regionTotals(), cats = Object.keys(DATA.categories), byProv = {};
    Object.keys(totals.perKab).forEach(function (kab) {
      (byProv[provOf(kab)] = byProv[provOf(kab)] || []).push(kab);
    });
    var head = el("tr");
    head.appendChild(el("th", "Provinsi / kabupaten/kota"));
    if (!totals.code) cats.forEach(function (c) { head.appendChild(el("th", DATA.categories[c], "n")); });
    head.appendChild(el("th", totals.code ? "Jumlah temuan " + totals.code : "Jumlah temuan", "n"));
    regionTable.tHead.replaceChildren(head);
    var frag = document.createDocumentFragment();
    function cells(tr, t) {
      if (!totals.code) cats.forEach(function (c) { tr.appendChild(el("td", fmt.format(t[c] || 0), "n")); });
      tr.appendChild(el("td", fmt.format(t.total || 0), "n"));
    }
    sortedKeys(byProv).forEach(function (prov) {
      var sum = {};
      byProv[prov].forEach(function (kab) {
        var t = totals.perKab[kab];
        Object.keys(t).forEach(function (k) { sum[k] = (sum[k] || 0) + t[k]; });
      });
      var tr = el("tr", null, "prov"), td = el("td"), button = el("button", provName(prov) + (prov ? " (" + prov + ")" : ""), "buka");
      button.type = "button";
      button.setAttribute("aria-expanded", openProv[prov] ? "true" : "false");
      button.addEventListener("click", function () { openProv[prov] = !openProv[prov]; drawRegions(); });
      td.appendChild(button); tr.appendChild(td); cells(tr, sum); frag.appendChild(tr);
      if (!openProv[prov]) return;
      byProv[prov].sort().forEach(function (kab) {
        var row = el("tr", null, "kab");
        row.appendChild(el("td", place(kab) + (kab ? " (" + kab + ")" : "")));
        cells(row, totals.perKab[kab]); frag.appendChild(row);
      });
    });
    if (!frag.childNodes.length) {
      var empty = el("tr"), td = el("td", "Tidak ada temuan.");
      td.colSpan = 6; empty.appendChild(td); frag.appendChild(empty);
    }
    regionTable.tBodies[0].replaceChildren(frag);
  }
  wCode.addEventListener("change", drawRegions);
  openAll.addEventListener("click", function () {
    var open = openAll.getAttribute("data-open") !== "1";
    DATA.regionRecords.concat(DATA.regionCodes).forEach(function (r) { openProv[provOf(r[0])] = open; });
    openAll.setAttribute("data-open", open ? "1" : "0");
    openAll.textContent = open ? "Tutup semua provinsi" : "Buka semua provinsi";
    drawRegions();
  });
  drawRegions();

  /* ---- structure findings ---- */
  var structTable = document.getElementById("tabel-struktur");
  if (structTable) {
    var structure = DATA.structure;  /* [entity, id, where, code, status, title, detail] */
    var sText = document.getElementById("cari-struktur"), sCode = document.getElementById("filter-kode-struktur");
    var sSearch = structure.map(function (r) { return [r[1], r[2], r[6]].join(" ").toLowerCase(); });
    var sCodes = {};
    structure.forEach(function (r) { sCodes[r[3]] = true; });
    sortedKeys(sCodes).forEach(function (c) { option(sCode, c, codeLabel(c)); });
    var structPager = new Pager(structTable.tBodies[0], document.getElementById("halaman-struktur"), null,
      function (r) {
        var tr = el("tr");
        tr.appendChild(el("td", r[0])); tr.appendChild(el("td", r[1], "n")); tr.appendChild(el("td", r[2]));
        tr.appendChild(el("td", r[3], "kode"));
        var td = el("td"); td.appendChild(el("span", r[4], "status " + r[4])); tr.appendChild(td);
        tr.appendChild(el("td", r[5])); tr.appendChild(el("td", r[6]));
        return tr;
      });
    var filterStructure = function () {
      var text = sText.value.trim().toLowerCase(), code = sCode.value;
      structPager.show(structure.filter(function (r, i) {
        return (!code || r[3] === code) && (!text || sSearch[i].indexOf(text) >= 0);
      }), structure.length, "temuan");
    };
    sText.addEventListener("input", filterStructure);
    sCode.addEventListener("change", filterStructure);
    filterStructure();
  }
})();
