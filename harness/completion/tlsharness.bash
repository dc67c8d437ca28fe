# bash completion for tlsharness                           -*- shell-script -*-
#
# Installed by `meson install` as share/bash-completion/completions/tlsharness;
# or source it. Subcommands, their options (read from `tlsharness CMD --help`,
# so they follow the binary), backend names (`tlsharness backends`), scenario
# ids (`tlsharness list`), report files and folders. The tlsharness asked is
# the one being completed (e.g. ./build/harness/tlsharness).

_tlsharness_run() {
	local bin="$1"
	shift
	# A command that is not there completes nothing, quietly.
	"$bin" "$@" 2>/dev/null
}

_tlsharness_words() { # WORDS CUR: COMPREPLY from a list of words (no blanks in one)
	local IFS=$' \t\n'
	# shellcheck disable=SC2207
	COMPREPLY=($(compgen -W "$1" -- "$2"))
}

_tlsharness_files() { # CUR [GLOB]: files (matching GLOB) and folders
	local IFS=$'\n'
	if [ -n "${2:-}" ]; then
		# shellcheck disable=SC2207
		COMPREPLY=($(compgen -f -X "!$2" -- "$1") $(compgen -d -- "$1"))
	else
		# shellcheck disable=SC2207
		COMPREPLY=($(compgen -f -- "$1"))
	fi
	compopt -o filenames 2>/dev/null
}

_tlsharness_dirs() {
	local IFS=$'\n'
	# shellcheck disable=SC2207
	COMPREPLY=($(compgen -d -- "$1"))
	compopt -o filenames 2>/dev/null
}

_tlsharness_backends() { # BIN CUR: built backends and mutants, or a path
	local bin="$1" cur="$2"
	if [[ "$cur" == */* ]]; then
		_tlsharness_files "$cur" '*.so'
		return
	fi
	_tlsharness_words "$(_tlsharness_run "$bin" backends)" "$cur"
}

_tlsharness_options() { # BIN CMD CUR: the long options CMD's --help shows
	local help
	help="$(_tlsharness_run "$1" "$2" --help)"
	[ -n "$help" ] || help="$("$1" "$2" --help 2>&1)"
	_tlsharness_words "$(grep -oE -- '--[a-z][a-z0-9-]*' <<<"$help" | sort -u)" "$3"
}

_tlsharness() {
	local cur="${COMP_WORDS[COMP_CWORD]}"
	local prev="${COMP_WORDS[COMP_CWORD - 1]:-}"
	local bin="${COMP_WORDS[0]}"
	COMPREPLY=()
	if [ "$COMP_CWORD" -eq 1 ]; then
		_tlsharness_words "run list backends probe mutation serve connect record report compare merge --help --version" "$cur"
		return
	fi
	local cmd="${COMP_WORDS[1]}"
	# --opt=VALUE: bash splits at '=' (COMP_WORDBREAKS).
	if [ "$cur" = "=" ]; then
		prev="${COMP_WORDS[COMP_CWORD - 1]}"
		cur=""
	elif [ "$prev" = "=" ] && [ "$COMP_CWORD" -ge 3 ]; then
		prev="${COMP_WORDS[COMP_CWORD - 2]}"
		# --expectations NAME=FILE: after the '=', a file.
		if [ "$COMP_CWORD" -ge 4 ] && [ "${COMP_WORDS[COMP_CWORD - 3]}" = "--expectations" ]; then
			_tlsharness_files "$cur" '*.json'
			return
		fi
	fi

	case "$cmd" in
	run | probe | serve | connect)
		case "$prev" in
		-i | --impl | -c | --client | -s | --server)
			_tlsharness_backends "$bin" "$cur"
			return
			;;
		-m | --matrix)
			# A comma list: complete its last element.
			local head="" last="$cur"
			if [[ "$cur" == *,* ]]; then
				head="${cur%,*},"
				last="${cur##*,}"
			fi
			local IFS=$'\n'
			# shellcheck disable=SC2207
			COMPREPLY=($(compgen -P "$head" -W "$(_tlsharness_run "$bin" backends)" -- "$last"))
			compopt -o nospace 2>/dev/null
			return
			;;
		-f | --filter)
			_tlsharness_words "$(_tlsharness_run "$bin" list | awk '{print $1}')" "$cur"
			return
			;;
		-o | --out)
			_tlsharness_dirs "$cur"
			return
			;;
		--rerun)
			_tlsharness_files "$cur" '*.json'
			return
			;;
		--endpoints)
			_tlsharness_words "auto inproc oop" "$cur"
			return
			;;
		--expectations)
			# NAME= first; bash then completes the file after the '='.
			local IFS=$'\n'
			# shellcheck disable=SC2207
			COMPREPLY=($(compgen -S "=" -W "$(_tlsharness_run "$bin" backends)" -- "$cur"))
			compopt -o nospace 2>/dev/null
			return
			;;
		--cert | --key | --chain | --trust)
			_tlsharness_files "$cur"
			return
			;;
		-j | --jobs | -t | --timeout | --seed | --shard | -p | --port | -H | --host | --min | --max | --alpn | --send | --servername | -n | --title)
			return
			;;
		esac
		if [ "$cmd" = probe ] && [[ "$cur" != -* ]]; then
			_tlsharness_backends "$bin" "$cur"
			return
		fi
		;;
	list)
		if [[ "$cur" != -* ]]; then
			_tlsharness_words "$(_tlsharness_run "$bin" list | awk '{print $1}')" "$cur"
			return
		fi
		;;
	mutation)
		case "$prev" in
		-m | --manifest)
			_tlsharness_files "$cur" '*.json'
			return
			;;
		-j | --jobs | -t | --timeout) return ;;
		esac
		;;
	record | merge)
		case "$prev" in
		-o | --out)
			_tlsharness_dirs "$cur"
			return
			;;
		esac
		if [[ "$cur" != -* ]]; then
			if [ "$cmd" = record ]; then
				_tlsharness_dirs "$cur"
			else
				_tlsharness_files "$cur" '*.json'
			fi
			return
		fi
		;;
	report | compare)
		case "$prev" in
		-o | --out)
			_tlsharness_files "$cur" '*.html'
			return
			;;
		-w | --width | --transcript-bytes | --title) return ;;
		esac
		if [[ "$cur" != -* ]]; then
			_tlsharness_files "$cur" '*.json'
			return
		fi
		;;
	*)
		return
		;;
	esac
	if [[ "$cur" == -* ]]; then
		_tlsharness_options "$bin" "$cmd" "$cur"
	fi
}

complete -F _tlsharness tlsharness ./build/harness/tlsharness ./build-asan/harness/tlsharness
