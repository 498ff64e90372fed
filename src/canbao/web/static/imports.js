/* /imports: the upload of a 登记表 with a progress bar. The form posts through
   XMLHttpRequest (upload progress events); the answer is the same page, whose form (with
   any error beside its field) and result replace the ones shown. Without this script the
   form is a plain post and the answer the whole page. */
"use strict";

(function () {
  function swap(answer, id) {
    var current = document.getElementById(id);
    var fresh = answer.getElementById(id);
    if (current && fresh) current.replaceWith(fresh);
    return fresh;
  }

  function upload(form) {
    var box = document.getElementById("upload-progress");
    var bar = document.getElementById("upload-bar");
    var status = document.getElementById("upload-status");
    var button = form.querySelector("button[type=submit]");
    var request = new XMLHttpRequest();
    function show(percent, text) {
      box.hidden = false;
      bar.value = percent;
      status.textContent = text;
    }
    request.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        var percent = Math.round((event.loaded / event.total) * 100);
        show(percent, "已上传 " + percent + "%");
      }
    });
    request.upload.addEventListener("load", function () {
      show(100, "已上传 100%，正在导入…");
    });
    request.addEventListener("load", function () {
      button.disabled = false;
      var target = new URL(request.responseURL, window.location.href);
      if (target.pathname !== new URL(form.action, window.location.href).pathname) {
        window.location.assign(target.href); // signed out meanwhile: the login page
        return;
      }
      var answer = new DOMParser().parseFromString(request.responseText, "text/html");
      swap(answer, "import-form");
      var result = swap(answer, "import-result");
      if (result && typeof init === "function") init(result);
      show(100, request.status === 200 ? "导入完成" : "未能导入，请看表单中的提示");
    });
    request.addEventListener("error", function () {
      button.disabled = false;
      show(0, "上传失败，请检查网络后重试");
    });
    request.open("POST", form.action);
    button.disabled = true;
    show(0, "正在上传…");
    request.send(new FormData(form));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id !== "import-form" || !window.FormData || !window.DOMParser) return;
    event.preventDefault();
    upload(form);
  });
})();
