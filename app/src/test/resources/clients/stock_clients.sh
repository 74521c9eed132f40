#!/bin/bash
# Drives a server with the stock clients partners use (lftp, rclone, curl), as they use them, and checks what each
# brought back against what it sent; prints "ok <case>" or "FAIL <case>: <why>" per case, and a last line "done".
#
# usage: stock_clients.sh sftp|ftps HOST PORT USER PASSWORD REMOTE_DIR WORK_DIR
#   ftps: PORT is the explicit FTPS port. REMOTE_DIR is made by the script (it must not exist).
set -u
proto=$1 host=$2 port=$3 user=$4 password=$5 remote=$6 work=$7
cd "$work" || exit 2
fail() { echo "FAIL $1: $2"; }
ok() { echo "ok $1"; }

# a tree of files with old, distinct times: a mirror that keeps times brings them back
rm -rf tree back rclone-back
mkdir -p tree/sub
head -c 700000 /dev/urandom > tree/big.bin
head -c 1000 /dev/urandom > tree/small.bin
printf 'PO-4711;widgets;12;EUR\n' > tree/sub/order.csv
touch -d '2021-03-04 05:06:07 UTC' tree/big.bin
touch -d '2020-01-02 03:04:05 UTC' tree/small.bin
touch -d '2019-05-06 07:08:09 UTC' tree/sub/order.csv

same_tree() { # $1 = copy; content and modification times (to the second) as in tree/
    local f
    for f in big.bin small.bin sub/order.csv; do
        cmp -s "tree/$f" "$1/$f" || { echo "content of $f differs"; return 1; }
        [ "$(stat -c %Y "tree/$f")" = "$(stat -c %Y "$1/$f")" ] \
            || { echo "time of $f: $(stat -c %Y "$1/$f"), not $(stat -c %Y "tree/$f")"; return 1; }
    done
}

if [ "$proto" = sftp ]; then
    url="sftp://$user:$password@$host:$port"
    lftp_settings="set sftp:auto-confirm yes; set net:max-retries 1; set net:timeout 20"
else
    url="ftp://$user:$password@$host:$port"
    lftp_settings="set ssl:verify-certificate no; set ftp:ssl-force true; set ftp:ssl-protect-data true; set net:max-retries 1; set net:timeout 20"
fi

# lftp: mirror up and back down, with times
out=$(lftp -c "$lftp_settings; open $url; mkdir -p $remote; mirror -R tree $remote/lftp; mirror $remote/lftp back" 2>&1)
if [ $? -ne 0 ]; then fail lftp_mirror "$out"; else why=$(same_tree back) && ok lftp_mirror || fail lftp_mirror "$why"; fi

# rclone: copy up, check, the times it lists, and copy back
if [ "$proto" = sftp ]; then
    rremote=":sftp,host=$host,port=$port,user=$user,pass=$(rclone obscure "$password"),disable_hashcheck=true,shell_type=none:$remote/rclone"
else
    rremote=":ftp,host=$host,port=$port,user=$user,pass=$(rclone obscure "$password"),explicit_tls=true,no_check_certificate=true:$remote/rclone"
fi
rc() { rclone --config /dev/null --retries 1 --low-level-retries 1 --contimeout 20s "$@"; }
out=$(rc copy tree "$rremote" 2>&1) || fail rclone_copy "$out"
out=$(rc check tree "$rremote" 2>&1) && ok rclone_check || fail rclone_check "$out"
listed=$(rc lsl "$rremote" 2>&1)
echo "$listed" | grep -q '2021-03-04 05:06:07' && echo "$listed" | grep -q '2020-01-02 03:04:05' \
    && ok rclone_modtime || fail rclone_modtime "$listed"
out=$(rc copy "$rremote" rclone-back 2>&1)
if [ $? -ne 0 ]; then fail rclone_copy_back "$out"; else why=$(same_tree rclone-back) && ok rclone_copy_back || fail rclone_copy_back "$why"; fi

# curl: upload, append, resume, download
if [ "$proto" = sftp ]; then
    curl_url="sftp://$host:$port/$remote/curl.bin"; curl_opts=(-k)
else
    curl_url="ftp://$host:$port/$remote/curl.bin"; curl_opts=(-k --ssl-reqd)
fi
cu() { curl -sS --fail --max-time 60 -u "$user:$password" "${curl_opts[@]}" "$@" 2>&1; }
head -c 300000 /dev/urandom > first.bin
head -c 200000 /dev/urandom > second.bin
cat first.bin second.bin > whole.bin
head -c 100000 whole.bin > partial.bin
out=$(cu -T first.bin "$curl_url") || fail curl_upload "$out"
out=$(cu -a -T second.bin "$curl_url") || fail curl_append "$out"
out=$(cu -o curl-back.bin "$curl_url") || fail curl_download "$out"
cmp -s whole.bin curl-back.bin && ok curl_append || fail curl_append "appended content differs"
out=$(cu -C - -o partial.bin "$curl_url") || fail curl_resume "$out"
cmp -s whole.bin partial.bin && ok curl_resume || fail curl_resume "resumed download differs"
echo done
