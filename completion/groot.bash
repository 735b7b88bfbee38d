# SPDX-License-Identifier: MIT
# bash completion for groot(1)

_groot_profiles()
{
	groot list 2>/dev/null | awk 'NR % 2 == 1 { print $1 }'
}

_groot()
{
	local cur prev words cword
	_init_completion || return

	local commands="run shell check provision list proot"
	local i command=""
	for ((i = 1; i < cword; i++)); do
		case "${words[i]}" in
		-*) ;;
		*) command=${words[i]}; break ;;
		esac
	done

	if [[ -z $command ]]; then
		COMPREPLY=($(compgen -W "$commands -v --verbose -h --help -V --version" -- "$cur"))
		return
	fi
	case $command in
	run | shell)
		case $prev in
		-b | --bind) _filedir; return ;;
		-w | --workdir) return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-b --bind -w --workdir -0 --root --trace --no-fast-path -v --verbose -h --help" -- "$cur"))
		elif [[ " ${words[*]} " != *" -- "* ]]; then
			COMPREPLY=($(compgen -W "$(_groot_profiles)" -- "$cur"))
			_filedir yaml
		fi
		;;
	check | provision)
		COMPREPLY=($(compgen -W "$(_groot_profiles)" -- "$cur"))
		_filedir yaml
		;;
	proot)
		case $prev in
		-r | --rootfs | -R | -S | -b | --bind | -m | --mount) _filedir; return ;;
		esac
		COMPREPLY=($(compgen -W "-r --rootfs -b --bind -m --mount -w --cwd -0 --root-id -R -S -v --verbose --link2symlink -h --help -V --version" -- "$cur"))
		;;
	esac
} && complete -F _groot groot
