# bench/fuzz/union.awk - edges covered per function, united over several
# libFuzzer -print_coverage=1 outputs of targets that link the same library
# build. Usage: awk -v s=SOURCE-PATH-PART -f union.awk COV...
#
# -print_coverage=1 prints, per function with some coverage,
#   COVERED_FUNC: hits: H edges: COVERED/TOTAL NAME FILE:LINE
# followed by one "UNCOVERED_PC: FILE:LINE[:COL]" per edge not covered, and
# "UNCOVERED_FUNC: ..." for functions with none. A function is keyed by
# name, location and its occurrence number in the file (static functions
# from one header appear once per object that includes them; the library's
# code, and so the order, is the same in every target). An edge of the
# union is uncovered when every file that covers part of the function leaves
# it uncovered; uncovered edges are matched by source location, so two edges
# on one line are not told apart: the result is a lower bound of the union
# (exact for a single file).
#
# Prints "COVERED<TAB>NAME FILE:LINE" for the functions whose location
# contains s.
/^UNCOVERED_FUNC/ {
	if (index($0, s))
		occ[FILENAME, $6 " " $7]++
	cur = ""
	next
}
/^COVERED_FUNC/ {
	cur = ""
	if (!index($0, s))
		next
	cur = $6 " " $7
	occ[FILENAME, cur]++
	cur = cur " #" occ[FILENAME, cur]
	split($5, e, "/")
	n[cur] = e[2]
	files[cur] = files[cur] SUBSEP FILENAME
	next
}
/^ *UNCOVERED_PC/ {
	if (cur == "")
		next
	unc[cur, FILENAME, $2]++
	locs[cur, $2] = 1
	next
}
{ cur = "" }
END {
	for (k in locs) {
		split(k, kk, SUBSEP)
		nf = split(substr(files[kk[1]], 2), fl, SUBSEP)
		m = -1
		for (i = 1; i <= nf; i++) {
			c = unc[kk[1], fl[i], kk[2]] + 0
			if (m < 0 || c < m)
				m = c
		}
		common[kk[1]] += m
	}
	for (f in n) {
		k = f
		sub(/ #[0-9]+$/, "", k)
		printf "%d\t%s\n", n[f] - common[f], k
	}
}
