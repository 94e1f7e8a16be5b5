/* A QR code encoder (ISO/IEC 18004, byte mode, error correction level M, versions 1-40, mask
   chosen by the standard's penalty rules), drawn as SVG. Written for the generator pages and the
   extension, which must work offline and without third-party code. */
var TrackerQR = (function () {
  "use strict";
  var ECC = [10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28,
    28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28];
  var BLOCKS = [1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28,
    29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49];

  function rawModules(v) {
    var r = (16 * v + 128) * v + 64;
    if (v >= 2) { var n = Math.floor(v / 7) + 2; r -= (25 * n - 10) * n - 55; if (v >= 7) r -= 36; }
    return r;
  }
  function dataCodewords(v) { return Math.floor(rawModules(v) / 8) - ECC[v - 1] * BLOCKS[v - 1]; }
  function gfMul(x, y) {
    var z = 0;
    for (var i = 7; i >= 0; i--) { z = (z << 1) ^ ((z >>> 7) * 0x11d); z ^= ((y >>> i) & 1) * x; }
    return z & 255;
  }
  function divisor(degree) {
    var r = [], root = 1, i, j;
    for (i = 0; i < degree; i++) r.push(0);
    r[degree - 1] = 1;
    for (i = 0; i < degree; i++) {
      for (j = 0; j < degree; j++) { r[j] = gfMul(r[j], root); if (j + 1 < degree) r[j] ^= r[j + 1]; }
      root = gfMul(root, 2);
    }
    return r;
  }
  function remainder(data, div) {
    var r = div.map(function () { return 0; });
    data.forEach(function (b) {
      var f = b ^ r.shift();
      r.push(0);
      div.forEach(function (c, i) { r[i] ^= gfMul(c, f); });
    });
    return r;
  }
  function utf8(text) {
    var s = unescape(encodeURIComponent(text)), out = [];
    for (var i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
    return out;
  }

  /* The codewords for `bytes` at version v: data, padding, then Reed-Solomon blocks interleaved. */
  function codewords(bytes, v) {
    var bits = [], cap = dataCodewords(v) * 8, i;
    function put(val, len) { for (var k = len - 1; k >= 0; k--) bits.push((val >>> k) & 1); }
    put(4, 4); put(bytes.length, v <= 9 ? 8 : 16);
    bytes.forEach(function (b) { put(b, 8); });
    put(0, Math.min(4, cap - bits.length));
    put(0, (8 - bits.length % 8) % 8);
    for (i = 0xec; bits.length < cap; i ^= 0xec ^ 0x11) put(i, 8);
    var data = [];
    for (i = 0; i < bits.length; i += 8) data.push(parseInt(bits.slice(i, i + 8).join(""), 2));
    var nb = BLOCKS[v - 1], ecl = ECC[v - 1], raw = Math.floor(rawModules(v) / 8), short = nb - raw % nb,
      shortLen = Math.floor(raw / nb), div = divisor(ecl), blocks = [], k = 0;
    for (i = 0; i < nb; i++) {
      var dat = data.slice(k, k + shortLen - ecl + (i < short ? 0 : 1));
      k += dat.length;
      var ecc = remainder(dat, div);
      if (i < short) dat.push(0);
      blocks.push(dat.concat(ecc));
    }
    var out = [];
    for (i = 0; i < blocks[0].length; i++)
      for (var j = 0; j < nb; j++) if (i != shortLen - ecl || j >= short) out.push(blocks[j][i]);
    return out;
  }

  var MASKS = [
    function (x, y) { return (x + y) % 2 == 0; }, function (x, y) { return y % 2 == 0; },
    function (x) { return x % 3 == 0; }, function (x, y) { return (x + y) % 3 == 0; },
    function (x, y) { return (Math.floor(x / 3) + Math.floor(y / 2)) % 2 == 0; },
    function (x, y) { return x * y % 2 + x * y % 3 == 0; },
    function (x, y) { return (x * y % 2 + x * y % 3) % 2 == 0; },
    function (x, y) { return ((x + y) % 2 + x * y % 3) % 2 == 0; }
  ];

  /* The module matrix (true = dark) for text. */
  function encode(text) {
    var bytes = utf8(text), v = 1;
    while (v <= 40 && 4 + (v <= 9 ? 8 : 16) + bytes.length * 8 > dataCodewords(v) * 8) v++;
    if (v > 40) throw new Error("text too long for a QR code");
    var size = v * 4 + 17, m = [], fn = [], x, y, i;
    for (y = 0; y < size; y++) { m.push([]); fn.push([]); for (x = 0; x < size; x++) { m[y].push(false); fn[y].push(false); } }
    function set(x, y, dark) { m[y][x] = dark; fn[y][x] = true; }
    for (i = 0; i < size; i++) { set(6, i, i % 2 == 0); set(i, 6, i % 2 == 0); }
    [[3, 3], [size - 4, 3], [3, size - 4]].forEach(function (c) {
      for (var dy = -4; dy <= 4; dy++) for (var dx = -4; dx <= 4; dx++) {
        var d = Math.max(Math.abs(dx), Math.abs(dy)), xx = c[0] + dx, yy = c[1] + dy;
        if (xx >= 0 && xx < size && yy >= 0 && yy < size) set(xx, yy, d != 2 && d != 4);
      }
    });
    var align = [];
    if (v > 1) {
      var n = Math.floor(v / 7) + 2, step = v == 32 ? 26 : Math.ceil((v * 4 + 4) / (n * 2 - 2)) * 2;
      align = [6];
      for (var pos = size - 7; align.length < n; pos -= step) align.splice(1, 0, pos);
    }
    align.forEach(function (ay, a) {
      align.forEach(function (ax, b) {
        if ((a == 0 && b == 0) || (a == 0 && b == align.length - 1) || (a == align.length - 1 && b == 0)) return;
        for (var dy = -2; dy <= 2; dy++) for (var dx = -2; dx <= 2; dx++) set(ax + dx, ay + dy, Math.max(Math.abs(dx), Math.abs(dy)) != 1);
      });
    });
    function format(mask) {
      var data = mask, rem = data, bits;
      for (var k = 0; k < 10; k++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
      bits = ((data << 10) | rem) ^ 0x5412;
      function b(k) { return ((bits >>> k) & 1) != 0; }
      for (k = 0; k <= 5; k++) set(8, k, b(k));
      set(8, 7, b(6)); set(8, 8, b(7)); set(7, 8, b(8));
      for (k = 9; k < 15; k++) set(14 - k, 8, b(k));
      for (k = 0; k < 8; k++) set(size - 1 - k, 8, b(k));
      for (k = 8; k < 15; k++) set(8, size - 15 + k, b(k));
      set(8, size - 8, true);
    }
    format(0);
    if (v >= 7) {
      var rem = v;
      for (i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
      var vbits = (v << 12) | rem;
      for (i = 0; i < 18; i++) {
        var bit = ((vbits >>> i) & 1) != 0, p = size - 11 + i % 3, q = Math.floor(i / 3);
        set(p, q, bit); set(q, p, bit);
      }
    }
    var words = codewords(bytes, v), bitIndex = 0;
    for (var right = size - 1; right >= 1; right -= 2) {
      if (right == 6) right = 5;
      for (var vert = 0; vert < size; vert++) for (var j = 0; j < 2; j++) {
        x = right - j;
        y = ((right + 1) & 2) == 0 ? size - 1 - vert : vert;
        if (!fn[y][x] && bitIndex < words.length * 8) {
          m[y][x] = ((words[bitIndex >>> 3] >>> (7 - (bitIndex & 7))) & 1) != 0;
          bitIndex++;
        }
      }
    }
    function applyMask(k) {
      for (var yy = 0; yy < size; yy++) for (var xx = 0; xx < size; xx++) if (!fn[yy][xx] && MASKS[k](xx, yy)) m[yy][xx] = !m[yy][xx];
    }
    var best = 0, bestScore = Infinity;
    for (i = 0; i < 8; i++) {
      applyMask(i); format(i);
      var score = penalty(m, size);
      if (score < bestScore) { best = i; bestScore = score; }
      applyMask(i);
    }
    applyMask(best); format(best);
    return m;
  }

  /* The standard's four penalty rules: runs, 2x2 blocks, finder-like patterns, dark balance. */
  function penalty(m, size) {
    var score = 0, dark = 0, x, y;
    function lines(get) {
      for (var a = 0; a < size; a++) {
        var run = 1, seq = "";
        for (var b = 0; b < size; b++) {
          var c = get(a, b);
          seq += c ? "1" : "0";
          if (b > 0) {
            if (c == get(a, b - 1)) { run++; if (run == 5) score += 3; else if (run > 5) score++; } else run = 1;
          }
        }
        var re = /(?=(00001011101|10111010000))/g;
        while (re.exec(seq)) { score += 40; re.lastIndex++; }
      }
    }
    lines(function (a, b) { return m[a][b]; });
    lines(function (a, b) { return m[b][a]; });
    for (y = 0; y < size; y++) for (x = 0; x < size; x++) {
      if (m[y][x]) dark++;
      if (x < size - 1 && y < size - 1 && m[y][x] == m[y][x + 1] && m[y][x] == m[y + 1][x] && m[y][x] == m[y + 1][x + 1]) score += 3;
    }
    var total = size * size;
    score += (Math.ceil(Math.abs(dark * 20 - total * 10) / total) - 1) * 10;
    return score;
  }

  /* An SVG string with a four-module quiet zone. */
  function svg(text, scale) {
    var m = encode(text), size = m.length, s = scale || 4, path = "";
    for (var y = 0; y < size; y++) for (var x = 0; x < size; x++) if (m[y][x]) path += "M" + (x + 4) + "," + (y + 4) + "h1v1h-1z";
    var dim = (size + 8) * s;
    return '<svg xmlns="http://www.w3.org/2000/svg" width="' + dim + '" height="' + dim + '" viewBox="0 0 ' + (size + 8) + " " +
      (size + 8) + '" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path d="' + path + '" fill="#000"/></svg>';
  }

  return { encode: encode, svg: svg };
})();
if (typeof module != "undefined") module.exports = TrackerQR;
