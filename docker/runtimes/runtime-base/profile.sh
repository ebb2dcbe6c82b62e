# Berth runtime: login shells (SSH sessions, bash -l) get the app's /srv/bin
# first in PATH, as the container's own processes do.
case ":$PATH:" in
  *:/srv/bin:*) ;;
  *) PATH="/srv/bin:$PATH" ;;
esac
export PATH
