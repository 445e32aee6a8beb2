/* Loaded in <head>: says JavaScript runs before the page is drawn, so the lists show their controls that
   save on change (and not the "Change" links a browser without JavaScript uses) without a jump. */
document.documentElement.classList.add("js");
